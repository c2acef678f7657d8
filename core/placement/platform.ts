// Platform names as engines and registries spell them differ (`x86_64` vs `amd64`, `aarch64` vs
// `arm64`, `linux/arm` meaning v7). Matching is exact after normalisation; a device runs another
// platform only when it says so in its `platforms` list (arm64 boards with 32-bit support, amd64
// with 386), because not every arm64 kernel or CPU can run 32-bit binaries.

const ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  x64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  'arm64/v8': 'arm64',
  'aarch64/v8': 'arm64',
  arm64v8: 'arm64',
  armv8: 'arm64',
  armv8l: 'arm/v7',
  arm: 'arm/v7',
  armhf: 'arm/v7',
  armv7: 'arm/v7',
  armv7l: 'arm/v7',
  'arm/v7': 'arm/v7',
  arm32v7: 'arm/v7',
  armel: 'arm/v6',
  armv6: 'arm/v6',
  armv6l: 'arm/v6',
  'arm/v6': 'arm/v6',
  arm32v6: 'arm/v6',
  'arm/v5': 'arm/v5',
  armv5: 'arm/v5',
  i386: '386',
  i686: '386',
  x86: '386',
  '386': '386',
};

// Ranking a large fleet normalises the same few spellings over and over; remember them, within bounds.
function memoize(fn: (raw: string) => string): (raw: string) => string {
  const cache = new Map<string, string>();
  return (raw) => {
    let out = cache.get(raw);
    if (out === undefined) {
      if (cache.size >= 4096) cache.clear();
      out = fn(raw);
      cache.set(raw, out);
    }
    return out;
  };
}

/** `linux/x86_64` → `amd64`, `aarch64` → `arm64`, `linux/arm` → `arm/v7`; unknown names pass through lowercased. */
export const normalizePlatform = memoize((raw) => {
  let p = raw.trim().toLowerCase();
  if (p.startsWith('linux/')) p = p.slice(6);
  return ALIASES[p] ?? p;
});

/** The platforms an app can run on: those offered by every one of its images. */
export function intersectPlatforms(perImage: readonly (readonly string[])[]): string[] {
  if (perImage.length === 0) return [];
  let common = new Set(perImage[0]!.map(normalizePlatform));
  for (const list of perImage.slice(1)) {
    const next = new Set(list.map(normalizePlatform));
    common = new Set([...common].filter((p) => next.has(p)));
  }
  return [...common].sort();
}

const normalizePortText = memoize((raw) => {
  const s = raw.trim().toLowerCase();
  return s.includes('/') ? s : `${s}/tcp`;
});

/** `8080` → `8080/tcp`, `53/UDP` → `53/udp`. */
export function normalizePort(raw: string | number): string {
  return normalizePortText(String(raw));
}

/** `nginx` → `docker.io/library/nginx:latest`, so that short and full refs compare equal. */
export const normalizeImageRef = memoize((ref) => {
  let r = ref.trim();
  const slash = r.indexOf('/');
  const first = slash < 0 ? '' : r.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!hasRegistry) r = slash < 0 ? `docker.io/library/${r}` : `docker.io/${r}`;
  const lastSlash = r.lastIndexOf('/');
  const name = r.slice(lastSlash + 1);
  if (!name.includes(':') && !name.includes('@')) r += ':latest';
  return r;
});
