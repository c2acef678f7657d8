// Platform names as engines, kernels and registries spell them differ (`x86_64` vs `amd64`, `aarch64`
// vs `arm64`, `armv7l` vs `arm/v7`). Warren speaks the OCI names: `amd64`, `arm64`, `arm/v7`,
// `arm/v6`, `386`, `ppc64le`, `s390x`, `riscv64` (the `linux/` prefix dropped).
//
// Variants matter for 32-bit ARM and for amd64 micro-architecture levels: a device runs an image built
// for its own variant or an older one (an arm/v7 board runs arm/v6 images, not the reverse), as
// containerd's platform matcher does. An image platform `linux/arm` without a variant means arm/v7
// (the OCI/containerd convention); a *device* that reports bare `arm` (Go's GOARCH, as Podman and the
// engine's version endpoint say it) has an unknown variant and is counted as arm/v6, the oldest ARM
// that container engines support, so that Warren never sends it an image it cannot execute.
// Different architectures are never assumed: an arm64 board runs arm/v7 images, or an amd64 machine
// 386 ones, only when the device lists that platform in `platforms`, because not every arm64 kernel or
// CPU can run 32-bit binaries.

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  x64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  arm64v8: 'arm64',
  aarch64_be: 'arm64be',
  i386: '386',
  i486: '386',
  i586: '386',
  i686: '386',
  x86: '386',
  '386': '386',
  ppc64le: 'ppc64le',
  ppc64el: 'ppc64le',
  powerpc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  arm: 'arm',
};

/** 32-bit ARM spellings that carry their variant: kernel machine names, Debian and Docker Hub names. */
const ARM_VARIANTS: Record<string, string> = {
  armv8l: 'v8',
  armv8: 'v8',
  armv7l: 'v7',
  armv7: 'v7',
  armv7hl: 'v7',
  armhf: 'v7',
  arm32v7: 'v7',
  armv6l: 'v6',
  armv6: 'v6',
  armel: 'v6',
  arm32v6: 'v6',
  armv5tel: 'v5',
  armv5tejl: 'v5',
  armv5l: 'v5',
  armv5: 'v5',
  arm32v5: 'v5',
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

/**
 * `linux/x86_64` → `amd64`, `aarch64` → `arm64`, `armv7l` → `arm/v7`, `arm64/v8` → `arm64`,
 * `amd64/v1` → `amd64`. A bare `arm` stays `arm` here; see normalizePlatform and normalizeDeviceArch
 * for what it means on each side. Unknown names pass through lowercased.
 */
function canonical(raw: string): string {
  let p = raw.trim().toLowerCase();
  if (p.startsWith('linux/')) p = p.slice(6);
  const slash = p.indexOf('/');
  const archPart = slash < 0 ? p : p.slice(0, slash);
  let variant = slash < 0 ? '' : p.slice(slash + 1);
  let arch = ARCH_ALIASES[archPart];
  if (arch === undefined) {
    const armVariant = ARM_VARIANTS[archPart];
    if (armVariant === undefined) return p;
    arch = 'arm';
    if (!variant) variant = armVariant;
  }
  if (variant && !/^v\d+(\.\d+)?$/.test(variant)) variant = `v${variant.replace(/^v/, '')}`;
  if (arch === 'arm64' && (variant === 'v8' || variant === 'v8.0')) variant = '';
  if (arch === 'amd64' && variant === 'v1') variant = '';
  return variant ? `${arch}/${variant}` : arch;
}

/** An image platform: `linux/arm` (no variant) is arm/v7, as the OCI image index convention has it. */
export const normalizePlatform = memoize((raw) => {
  const c = canonical(raw);
  return c === 'arm' ? 'arm/v7' : c;
});

/** A device's architecture: bare `arm` keeps its unknown variant (see the file comment). */
export const normalizeDeviceArch = memoize(canonical);

// Architectures container engines build images for (Go's GOARCH values that OCI platforms use); a name
// outside them is a typo or a foreign spelling, which would silently disqualify the device.
const KNOWN_ARCHES = new Set([...Object.values(ARCH_ALIASES), 'ppc64', 'mips', 'mipsle', 'mips64', 'mips64le', 'loong64']);

/** Is `raw` (any accepted spelling, `linux/` prefix and variant allowed) an architecture images are built for? */
export function isKnownArch(raw: string): boolean {
  const c = canonical(raw);
  const slash = c.indexOf('/');
  const arch = slash < 0 ? c : c.slice(0, slash);
  return KNOWN_ARCHES.has(arch) && (slash < 0 || /^v\d+(\.\d+)?$/.test(c.slice(slash + 1)));
}

function variantNumber(p: string, slash: number): number {
  if (slash < 0) return -1;
  const n = Number.parseFloat(p.slice(slash + 2));
  return Number.isFinite(n) ? n : -1;
}

/**
 * Does a device of platform `device` (as normalizeDeviceArch gives it) run an image built for
 * `image` (as normalizePlatform gives it)? Same architecture, and for 32-bit ARM and amd64 levels the
 * device's variant at least the image's. An amd64 device of unknown level counts as level 1; an ARM
 * device of unknown variant as v6.
 */
export function runsImagePlatform(device: string, image: string): boolean {
  if (device === image) return true;
  const ds = device.indexOf('/');
  const is = image.indexOf('/');
  const darch = ds < 0 ? device : device.slice(0, ds);
  const iarch = is < 0 ? image : image.slice(0, is);
  if (darch !== iarch) return false;
  if (darch === 'arm') {
    const dv = ds < 0 ? 6 : variantNumber(device, ds);
    const iv = is < 0 ? 7 : variantNumber(image, is);
    return dv >= 0 && iv >= 0 && dv >= iv;
  }
  if (darch === 'amd64') {
    const dv = ds < 0 ? 1 : variantNumber(device, ds);
    const iv = is < 0 ? 1 : variantNumber(image, is);
    return dv >= 0 && iv >= 0 && dv >= iv;
  }
  return false;
}

/** How a device's platform reads in messages: bare `arm` says that its variant is unknown. */
export function describeDeviceArch(raw: string): string {
  const p = normalizeDeviceArch(raw);
  return p === 'arm' ? 'arm (variant unknown, counted as arm/v6)' : p;
}

/** Attestation manifests in multi-platform indexes say `unknown/unknown`; they are no platform. */
const NOT_A_PLATFORM = new Set(['unknown', 'unknown/unknown']);

/**
 * The platforms an app can run on, given each image's platforms: a device runs the app when it runs a
 * platform of every image. Variants of one architecture combine to the most demanding of the images'
 * least demanding ones (an image for arm/v6 and one for arm/v7 only need an arm/v7 device).
 */
export function intersectPlatforms(perImage: readonly (readonly string[])[]): string[] {
  if (perImage.length === 0) return [];
  // Per image: architecture → lowest variant offered (32-bit ARM and amd64 levels; 0 for the rest).
  const perImageMin = perImage.map((list) => {
    const m = new Map<string, number>();
    for (const raw of list) {
      const p = normalizePlatform(raw);
      if (NOT_A_PLATFORM.has(p)) continue;
      const slash = p.indexOf('/');
      const arch = slash < 0 ? p : p.slice(0, slash);
      const leveled = arch === 'arm' || arch === 'amd64';
      const key = leveled ? arch : p;
      const v = leveled ? (slash < 0 ? 1 : variantNumber(p, slash)) : 0;
      if (v < 0) continue;
      const cur = m.get(key);
      if (cur === undefined || v < cur) m.set(key, v);
    }
    return m;
  });
  const out: string[] = [];
  for (const [key, v0] of perImageMin[0]!) {
    let v = v0;
    let everywhere = true;
    for (const m of perImageMin.slice(1)) {
      const w = m.get(key);
      if (w === undefined) {
        everywhere = false;
        break;
      }
      if (w > v) v = w;
    }
    if (!everywhere) continue;
    out.push(key === 'arm' ? `arm/v${v}` : key === 'amd64' && v > 1 ? `amd64/v${v}` : key);
  }
  return out.sort();
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
