// The journaled steps of each app operation. Every `run` may be run again after an interruption and
// every `undo` may meet a half-done step, so each one checks what exists rather than assuming.
// Journal data never holds a secret: passwords are read from `store.secrets` when a step needs them.
import { WarrenError } from '../errors.js';
import type { OperationKind, Step, StepData } from './journal.js';
import { manifestFrom, type AppService } from './service.js';

const str = (d: StepData, k: string): string => String(d[k]);

async function removeStackStep(s: AppService, d: StepData, removeVolumes: boolean): Promise<void> {
  await s.hostFor(str(d, 'device')).removeStack(str(d, 'project'), { removeVolumes });
}

const recordApp: Step<AppService> = {
  name: 'record-app',
  run: async (s, d) => {
    if (await s.store.apps.get(str(d, 'app'))) return;
    await s.store.apps.insert({
      id: str(d, 'app'), catalogId: str(d, 'catalogId'), catalogVersion: str(d, 'catalogVersion'), device: str(d, 'device'),
      status: 'installing', inputs: d.inputs as Record<string, unknown>, project: str(d, 'project'),
    });
  },
  undo: async (s, d) => {
    await s.forgetDeployed(str(d, 'app'));
    await s.store.apps.delete(str(d, 'app'));
  },
};

const storeSecrets: Step<AppService> = {
  name: 'secrets',
  run: async (s, d) => {
    await s.storeSecrets(str(d, 'app'), str(d, 'catalogId'), str(d, 'operation'));
  },
  undo: async (s, d) => s.forgetSecrets(str(d, 'app')),
};

const databases: Step<AppService> = {
  name: 'database',
  run: async (s, d, progress) => {
    await s.ensureDatabases(str(d, 'app'), str(d, 'device'), str(d, 'catalogId'), (m) => progress(m));
  },
  undo: async (s, d) => {
    await s.releaseDatabases(str(d, 'app'), false);
  },
};

const deploy: Step<AppService> = {
  name: 'deploy',
  run: async (s, d, progress) => {
    return { deployed: await s.deploy(str(d, 'app'), str(d, 'catalogId'), progress) };
  },
  undo: (s, d) => removeStackStep(s, d, true),
};

const healthy: Step<AppService> = {
  name: 'healthy',
  run: async (s, d, progress) => {
    progress('waiting until every service is healthy');
    await s.waitHealthy(str(d, 'device'), str(d, 'project'));
  },
};

const finishInstall: Step<AppService> = {
  name: 'finish',
  run: async (s, d) => {
    // What is running is kept beside the app: an update that fails puts it back.
    if (typeof d.deployed === 'string') await s.saveDeployed(str(d, 'app'), d.deployed);
    await s.store.apps.update(str(d, 'app'), { status: 'running' });
    // Held until the device's metrics show the app, so the next placement does not count its memory as free.
    s.reservationRunning(str(d, 'app'));
  },
};

export const INSTALL: OperationKind<AppService> = {
  kind: 'install',
  steps: [recordApp, storeSecrets, databases, deploy, healthy, finishInstall],
  // Once the stack is deployed, an interrupted install is waited for rather than torn down.
  finishFrom: 4,
  onFailure: 'rollback',
};

export const REMOVE: OperationKind<AppService> = {
  kind: 'remove',
  steps: [
    {
      name: 'stop',
      run: async (s, d) => {
        await s.store.apps.update(str(d, 'app'), { status: 'removing' });
        await s.hostFor(str(d, 'device')).stopStack(str(d, 'project'));
      },
    },
    { name: 'remove-stack', run: (s, d) => removeStackStep(s, d, d.removeData === true) },
    {
      name: 'database',
      run: async (s, d) => {
        const dumps = await s.releaseDatabases(str(d, 'app'), d.removeData !== true);
        return dumps.length ? { dumps } : {};
      },
    },
    {
      name: 'forget',
      run: async (s, d) => {
        await s.forgetApp(str(d, 'app'));
      },
    },
  ],
  // Removal only ever goes forward: a half-removed app is worse than none.
  finishFrom: 0,
  onFailure: 'fail',
};

function single(kind: 'start' | 'stop' | 'restart', run: (s: AppService, d: StepData) => Promise<void>): OperationKind<AppService> {
  return {
    kind,
    steps: [{ name: kind, run: async (s, d) => { await run(s, d); await s.reconcileOne(str(d, 'app')); } }],
    finishFrom: 0,
    onFailure: 'fail',
  };
}

export const START = single('start', async (s, d) => {
  await s.hostFor(str(d, 'device')).startStack(str(d, 'project'));
  await s.waitHealthy(str(d, 'device'), str(d, 'project'));
});
export const STOP = single('stop', (s, d) => s.hostFor(str(d, 'device')).stopStack(str(d, 'project')));
export const RESTART = single('restart', async (s, d) => {
  const host = s.hostFor(str(d, 'device'));
  await host.stopStack(str(d, 'project'));
  await host.startStack(str(d, 'project'));
  await s.waitHealthy(str(d, 'device'), str(d, 'project'));
});

/**
 * Update: the new manifest (journaled when the update was asked for) is deployed over the same project,
 * so volumes and secrets stay; secrets and databases the new version adds are created. If it cannot be
 * deployed or does not become healthy, the deployed manifest is put back and waited for — the app runs
 * its old version on its untouched data. Killed mid-way, the hub rolls back an update whose deploy had not
 * finished, and waits for (then finishes, or rolls back) one whose deploy had.
 */
export const UPDATE: OperationKind<AppService> = {
  kind: 'update',
  steps: [
    {
      name: 'secrets',
      // Existing secrets are kept; only those a new version adds are generated (and kept on a rollback,
      // since the new version may already have written data with them).
      run: async (s, d) => {
        await s.storeSecrets(str(d, 'app'), str(d, 'catalogId'), str(d, 'operation'), manifestFrom(d.toManifest, 'new'));
      },
    },
    {
      name: 'database',
      run: async (s, d, progress) => {
        await s.ensureDatabases(str(d, 'app'), str(d, 'device'), str(d, 'catalogId'), (m) => progress(m), manifestFrom(d.toManifest, 'new'));
      },
    },
    {
      name: 'deploy',
      run: async (s, d, progress) => {
        await s.store.apps.update(str(d, 'app'), { status: 'updating' });
        await s.deploy(str(d, 'app'), str(d, 'catalogId'), progress, manifestFrom(d.toManifest, 'new'));
      },
      undo: async (s, d) => {
        if (typeof d.fromManifest !== 'string') {
          throw new WarrenError('WARREN_ERR_OPERATION', `the manifest of ${str(d, 'app')} ${str(d, 'fromVersion')} was not kept, so the update cannot be rolled back`, {
            hint: 'Fix the new version in the catalog and update again, or reinstall the app.',
          });
        }
        await s.store.apps.update(str(d, 'app'), { status: 'rolling-back' });
        await s.deploy(str(d, 'app'), str(d, 'catalogId'), () => {}, manifestFrom(d.fromManifest, 'previous'));
        await s.waitHealthy(str(d, 'device'), str(d, 'project'));
        await s.store.apps.update(str(d, 'app'), { catalogVersion: str(d, 'fromVersion'), status: 'running' });
      },
    },
    healthy,
    {
      name: 'finish',
      run: async (s, d) => {
        await s.saveDeployed(str(d, 'app'), str(d, 'toManifest'));
        await s.store.apps.update(str(d, 'app'), { catalogVersion: str(d, 'toVersion'), status: 'running' });
      },
    },
  ],
  // Once the new stack is deployed a restarted hub waits for it to be healthy (rolling back if it is not).
  finishFrom: 3,
  onFailure: 'rollback',
};

export const KINDS: Record<string, OperationKind<AppService>> = Object.fromEntries(
  [INSTALL, REMOVE, START, STOP, RESTART, UPDATE].map((k) => [k.kind, k]),
);

export function kindOf(name: string): OperationKind<AppService> {
  const k = KINDS[name];
  if (!k) throw new WarrenError('WARREN_ERR_INTERNAL', `no operation kind ${name}`);
  return k;
}
