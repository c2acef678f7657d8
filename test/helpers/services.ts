// Access to the real services that scripts/test-env.sh provisions. A suite asks for what it needs;
// when a service is missing the test is skipped with the reason, or fails under
// WARREN_REQUIRE_SERVICES=1 (CI), so that nothing silently stops being tested.
import { existsSync, readFileSync } from 'node:fs';

export const stateFile = (): string => process.env.WARREN_TEST_STATE ?? '/var/lib/warren-test/state.json';

export interface TlsFiles { ca: string; cert: string; key: string }

export interface TestDevice {
  id: string;
  /** The device's own address on its veth link (a network namespace made by the test environment). */
  address: string;
  netns: string;
  /** Root login with the key; the session's DOCKER_HOST is this device's engine (for `docker system dial-stdio`). */
  ssh: { host: string; port: number; username: string; privateKeyPath: string; knownHostsPath?: string };
  docker: { socket: string; tcp: { host: string; port: number; tls: TlsFiles } };
  /** The full scrape URL, ending in /metrics. */
  nodeExporter?: { url: string };
}

export interface TestEnvState {
  docker?: { socket: string };
  podman?: { socket: string };
  images?: { web?: string; postgres?: string; mariadb?: string; demo?: string; [k: string]: string | undefined };
  devices?: TestDevice[];
  nodeExporter?: { url: string };
  chromium?: { path: string };
  mosquitto?: { bin: string };
  postgres?: { url: string };
  /** The devices' link: the host's address on it is how a device reaches a hub running on the host. */
  network?: { cidr: string; hostAddress: string; bridge: string };
  /** Why a part could not be provisioned, by service name. */
  errors?: Record<string, string>;
}

export type ServiceName = 'docker' | 'podman' | 'images' | 'devices' | 'nodeExporter' | 'chromium' | 'mosquitto' | 'postgres';

export function readState(): TestEnvState {
  if (!existsSync(stateFile())) return {};
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as TestEnvState;
  } catch {
    return {};
  }
}

interface SkippableTest {
  // tap's Test has overloaded skip/fail; only the one-message forms are used here.
  skip: (...args: any[]) => unknown;
  fail: (...args: any[]) => unknown;
}

/**
 * Returns the test environment if every named service is there; otherwise skips the test (or fails it
 * when WARREN_REQUIRE_SERVICES=1) with the reason and returns undefined.
 */
export function needServices(t: SkippableTest, ...names: ServiceName[]): TestEnvState | undefined {
  const state = readState();
  const missing = names.filter((n) => {
    const v = state[n];
    return v === undefined || (Array.isArray(v) && v.length === 0);
  });
  if (missing.length === 0) return state;
  const why = missing
    .map((n) => `${n}: ${state.errors?.[n] ?? (existsSync(stateFile()) ? 'not provisioned' : `no ${stateFile()}; run: sudo bash scripts/test-env.sh up`)}`)
    .join('; ');
  if (process.env.WARREN_REQUIRE_SERVICES === '1') t.fail(`required service missing — ${why}`);
  else t.skip(`service missing — ${why}`);
  return undefined;
}
