// Pure parsing of the Prometheus text exposition format (version 0.0.4) and the mapping of
// node_exporter's metric families to a HostReading.
import { WarrenError } from '../../core/errors.js';
import type { HostReading } from '../../core/providers/metrics-source.js';
import { BUSY_MODES, IDLE_MODES, normaliseArch } from '../../core/plugin/procfs.js';

export { normaliseArch };

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Epoch milliseconds, when the exporter gave one. */
  timestamp?: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;

/** Parses the whole text; a malformed line is an error naming its line number, as Prometheus treats it. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (m?.[1] === 'TYPE') types.set(m[2]!, (m[3] ?? '').trim());
      else if (m?.[1] === 'HELP') help.set(m[2]!, unescapeHelp(m[3] ?? ''));
      return;
    }
    try {
      samples.push(parseSampleLine(line));
    } catch (e) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `metrics text, line ${i + 1}: ${(e as Error).message}`, {
        details: [{ path: `/line/${i + 1}`, message: (e as Error).message }],
        hint: 'the URL must point at a Prometheus exporter (node_exporter serves /metrics)',
      });
    }
  });
  return { samples, types, help };
}

function parseSampleLine(line: string): Sample {
  let pos = 0;
  const skipSpace = () => {
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
  };
  skipSpace();
  NAME.lastIndex = pos;
  const nm = NAME.exec(line);
  if (!nm) throw new Error('expected a metric name');
  const name = nm[0];
  pos = NAME.lastIndex;
  const labels: Record<string, string> = {};
  skipSpace();
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipSpace();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      LABEL_NAME.lastIndex = pos;
      const ln = LABEL_NAME.exec(line);
      if (!ln) throw new Error(`expected a label name at column ${pos + 1}`);
      pos = LABEL_NAME.lastIndex;
      skipSpace();
      if (line[pos] !== '=') throw new Error(`expected "=" at column ${pos + 1}`);
      pos++;
      skipSpace();
      if (line[pos] !== '"') throw new Error(`expected a quoted label value at column ${pos + 1}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new Error('unterminated label value');
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else throw new Error(`invalid escape \\${e ?? ''} in label value`);
        } else value += c;
      }
      labels[ln[0]] = value;
      skipSpace();
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new Error(`expected "," or "}" at column ${pos + 1}`);
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === '' || rest.length > 2) throw new Error('expected a value and an optional timestamp');
  const value = parseValue(rest[0]!);
  const sample: Sample = { name, labels, value };
  if (rest[1] !== undefined) {
    if (!/^-?\d+$/.test(rest[1])) throw new Error(`invalid timestamp "${rest[1]}"`);
    sample.timestamp = Number(rest[1]);
  }
  return sample;
}

function parseValue(s: string): number {
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  // Number('') and Number('0x10') are numbers too; the format only allows Go float syntax.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`invalid value "${s}"`);
  return Number(s);
}

const unescapeHelp = (s: string) => s.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));

/** Filesystems that hold no user data or that double-count another one. */
export const IGNORED_FS_TYPES = new Set([
  'tmpfs', 'devtmpfs', 'ramfs', 'overlay', 'aufs', 'squashfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'nsfs',
  'autofs', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore', 'bpf', 'configfs', 'fusectl',
  'hugetlbfs', 'binfmt_misc', 'rpc_pipefs', 'fuse.lxcfs', 'efivarfs', 'iso9660', 'selinuxfs',
]);


export interface MapOptions {
  /** Only these mount points count; all real filesystems when empty. */
  mountpoints?: readonly string[];
}

export function toHostReading(expo: Exposition, atMs: number, opts: MapOptions = {}): HostReading {
  const byName = new Map<string, Sample[]>();
  for (const s of expo.samples) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const one = (name: string) => {
    const v = byName.get(name)?.[0]?.value;
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const reading: HostReading = { at: atMs };

  const cpuSamples = byName.get('node_cpu_seconds_total') ?? [];
  if (cpuSamples.length) {
    const cpus = new Set<string>();
    let busy = 0;
    let idle = 0;
    for (const s of cpuSamples) {
      if (!Number.isFinite(s.value)) continue;
      if (s.labels.cpu !== undefined) cpus.add(s.labels.cpu);
      const mode = s.labels.mode ?? '';
      if (BUSY_MODES.has(mode)) busy += s.value;
      else if (IDLE_MODES.has(mode)) idle += s.value;
    }
    if (cpus.size > 0) reading.cpu = { cores: cpus.size, busySeconds: busy, idleSeconds: idle };
  }

  const memTotal = one('node_memory_MemTotal_bytes');
  const memAvail = one('node_memory_MemAvailable_bytes');
  if (memTotal !== undefined && memAvail !== undefined) reading.memory = { totalBytes: memTotal, availableBytes: memAvail };
  const swapTotal = one('node_memory_SwapTotal_bytes');
  const swapFree = one('node_memory_SwapFree_bytes');
  if (swapTotal !== undefined && swapFree !== undefined) reading.swap = { totalBytes: swapTotal, freeBytes: swapFree };

  const load1 = one('node_load1');
  const load5 = one('node_load5');
  const load15 = one('node_load15');
  if (load1 !== undefined && load5 !== undefined && load15 !== undefined) reading.load = { load1, load5, load15 };

  const boot = one('node_boot_time_seconds');
  if (boot !== undefined) reading.bootTime = boot;

  const fs = filesystems(byName, opts);
  if (fs.length) reading.filesystems = fs;

  const uname = byName.get('node_uname_info')?.[0]?.labels;
  if (uname?.machine) reading.arch = normaliseArch(uname.machine);
  // node_exporter offers no boot id: the host name with the boot time identifies the machine.
  if (uname?.nodename) reading.hostname = uname.nodename;
  return reading;
}

type Filesystem = NonNullable<HostReading['filesystems']>[number];

function filesystems(byName: Map<string, Sample[]>, opts: MapOptions): Filesystem[] {
  const key = (l: Record<string, string>) => `${l.device}\u0000${l.mountpoint}`;
  const sizes = new Map((byName.get('node_filesystem_size_bytes') ?? []).map((s) => [key(s.labels), s.value]));
  const errors = new Set((byName.get('node_filesystem_device_error') ?? []).filter((s) => s.value === 1).map((s) => key(s.labels)));
  const wanted = opts.mountpoints?.length ? new Set(opts.mountpoints) : undefined;
  const byDevice = new Map<string, Filesystem>();
  for (const s of byName.get('node_filesystem_avail_bytes') ?? []) {
    const { device = '', fstype = '', mountpoint = '' } = s.labels;
    const size = sizes.get(key(s.labels));
    if (size === undefined || !Number.isFinite(size) || !Number.isFinite(s.value) || errors.has(key(s.labels))) continue;
    if (wanted ? !wanted.has(mountpoint) : IGNORED_FS_TYPES.has(fstype) || size === 0) continue;
    // One device mounted at several places (bind mounts, btrfs subvolumes) is one pool of space:
    // keep its shortest mount point so it is counted once.
    const slot = wanted ? key(s.labels) : device;
    const prior = byDevice.get(slot);
    if (prior && prior.mount.length <= mountpoint.length) continue;
    byDevice.set(slot, { mount: mountpoint, device, fsType: fstype, totalBytes: size, availableBytes: s.value });
  }
  return [...byDevice.values()].sort((a, b) => a.mount.localeCompare(b.mount));
}
