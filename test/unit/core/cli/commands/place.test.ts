// `warren place` and `warren devices snapshot` through commander, with the real CliContext writing to
// buffers; only the hub transport is replaced where a case is about the request it would send.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createCliContext, type CliContext, type GlobalOptions } from '../../../../../core/cli/context.js';
import * as place from '../../../../../core/cli/commands/place.js';
import * as devicesSnapshot from '../../../../../core/cli/commands/devices-snapshot.js';
import { parseRequirements, parseSnapshot, rankDevices, type PlacementResult } from '../../../../../core/placement/index.js';

const fixtures = new URL('../../../../fixtures/placement/', import.meta.url).pathname;
const lab = `${fixtures}snapshots/lab.json`;
const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function run(args: string[], api?: CliContext['api']): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command('warren').exitOverride().option('--json');
  const real = createCliContext(() => program.opts() as GlobalOptions, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    exit: (code) => {
      throw new Exit(code);
    },
  });
  const cli: CliContext = api ? { ...real, api } : real;
  place.register(program, cli);
  devicesSnapshot.register(program, cli);
  try {
    await program.parseAsync(['node', 'warren', ...args]);
    return { out, err, code: 0 };
  } catch (e) {
    if (e instanceof Exit) return { out, err, code: e.code };
    throw e;
  }
}

t.test('--snapshot --json prints exactly what rankDevices gives', async (t) => {
  const r = await run(['--json', 'place', `${fixtures}requirements/nextcloud.json`, '--snapshot', lab]);
  t.equal(r.code, 0, r.err);
  const want = rankDevices(parseRequirements(readJson(`${fixtures}requirements/nextcloud.json`)), parseSnapshot(readJson(lab)).devices);
  t.same(JSON.parse(r.out), JSON.parse(JSON.stringify(want)));
  const keys = Object.keys(JSON.parse(r.out) as object);
  t.same(keys.filter((k) => ['recommended', 'weights', 'tieBreak', 'candidates', 'suggestions', 'warnings'].includes(k)), ['recommended', 'weights', 'tieBreak', 'candidates', 'suggestions', 'warnings']);
});

t.test('human output: table, every reason of every disqualified device, recommendation and tie-break', async (t) => {
  const r = await run(['place', `${fixtures}requirements/pihole.json`, '--snapshot', lab]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /#\s+DEVICE\s+TOTAL\s+RAM\s+STORAGE\s+CPU\s+LOAD\s+RELIABILITY/);
  t.match(r.out, /nas \(NAS\)\n {4}- Port 53\/udp is already listening on the device\n {4}- Port 53\/tcp .*\n {4}- Port 80\/tcp/);
  t.match(r.out, /Recommended: minipc \(NUC mini-PC\), total 96\.38\nTie-break: none needed/);
});

t.test('a catalog id and a manifest path are read through the catalog', async (t) => {
  const byId = JSON.parse((await run(['--json', 'place', 'jellyfin', '--snapshot', lab])).out) as PlacementResult;
  const byPath = JSON.parse((await run(['--json', 'place', new URL('../../../../../catalog/apps/jellyfin/compose.yaml', import.meta.url).pathname, '--snapshot', lab])).out) as PlacementResult;
  t.equal(byId.recommended, 'minipc');
  t.same(byPath, byId);
  t.match(byId.candidates.find((c) => c.device === 'nas')!.notes, ['optional device path /dev/dri is missing']);
});

t.test('--device-weights are used and echoed; bad ones fail with every entry', async (t) => {
  const r = await run(['--json', 'place', `${fixtures}requirements/tiny.json`, '--snapshot', lab, '--device-weights', 'ram=0,storage=0,cpu=1,load=0,reliability=0']);
  const res = JSON.parse(r.out) as PlacementResult;
  t.same(res.weights, { ram: 0, storage: 0, cpu: 1, load: 0, reliability: 0 });
  t.equal(res.recommended, 'minipc', 'the most CPU');
  const bad = await run(['place', `${fixtures}requirements/tiny.json`, '--snapshot', lab, '--device-weights', 'ram=lots,disk=3']);
  t.equal(bad.code, 1);
  t.match(bad.err, /--device-weights\/ram: "lots" is not a number/);
  t.match(bad.err, /--device-weights\/disk: unknown criterion/);
});

t.test('a bad snapshot fails with the paths of its errors', async (t) => {
  const r = await run(['place', `${fixtures}requirements/tiny.json`, '--snapshot', `${fixtures}requirements/tiny.json`]);
  t.equal(r.code, 1);
  t.match(r.err, /\/devices: is required/);
  const missing = await run(['place', 'no-such-app-anywhere', '--snapshot', lab]);
  t.equal(missing.code, 1);
  t.match(missing.err, /No catalog app, manifest or requirements file "no-such-app-anywhere"/);
});

t.test('without --snapshot it asks the hub, sending local requirements along', async (t) => {
  const calls: unknown[][] = [];
  const canned = rankDevices(parseRequirements(readJson(`${fixtures}requirements/tiny.json`)), parseSnapshot(readJson(lab)).devices);
  const api = (async (...a: unknown[]) => {
    calls.push(a);
    return JSON.parse(JSON.stringify(canned));
  }) as CliContext['api'];
  const r = await run(['--json', 'place', `${fixtures}requirements/tiny.json`, '--device-weights', 'ram=50'], api);
  t.equal(r.code, 0, r.err);
  t.same(calls[0]!.slice(0, 2), ['POST', '/api/placement']);
  t.match(calls[0]![2], { app: 'tiny', requirements: { memoryBytes: 64 * 1024 * 1024 }, weights: { ram: 50 } });
  calls.length = 0;
  await run(['place', 'some-hub-only-app'], api);
  t.same(calls[0]![2], { app: 'some-hub-only-app' }, 'an id the local catalog does not know is left to the hub');
});

t.test('devices snapshot prints the hub\'s inventory, validated', async (t) => {
  const snapshot = readJson(lab);
  const ok = await run(['devices', 'snapshot'], (async () => snapshot) as CliContext['api']);
  t.equal(ok.code, 0, ok.err);
  t.same(parseSnapshot(JSON.parse(ok.out)).devices.length, 7, 'the output is a snapshot file `place --snapshot` accepts');
  const bad = await run(['devices', 'snapshot'], (async () => ({ devices: [{ id: 'x' }] })) as CliContext['api']);
  t.equal(bad.code, 1);
  t.match(bad.err, /\/devices\/0\/name: is required/);
});
