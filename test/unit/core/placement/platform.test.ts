import t from 'tap';
import { describeDeviceArch, intersectPlatforms, normalizeDeviceArch, normalizeImageRef, normalizePlatform, normalizePort, runsImagePlatform } from '../../../../core/placement/index.js';

t.test('platform aliases normalise to one name', async (t) => {
  const cases: [string, string][] = [
    ['linux/amd64', 'amd64'],
    ['x86_64', 'amd64'],
    ['AMD64', 'amd64'],
    ['aarch64', 'arm64'],
    ['linux/arm64/v8', 'arm64'],
    ['linux/arm', 'arm/v7'],
    ['armv7l', 'arm/v7'],
    ['armhf', 'arm/v7'],
    ['linux/arm/v6', 'arm/v6'],
    ['armv6l', 'arm/v6'],
    ['i686', '386'],
    ['linux/riscv64', 'riscv64'],
    ['armv8l', 'arm/v8'],
    ['armv5tel', 'arm/v5'],
    ['arm32v6', 'arm/v6'],
    ['linux/arm/7', 'arm/v7'],
    ['linux/amd64/v1', 'amd64'],
    ['linux/amd64/v3', 'amd64/v3'],
    ['ppc64el', 'ppc64le'],
    ['linux/s390x', 's390x'],
    ['i386', '386'],
  ];
  for (const [raw, want] of cases) t.equal(normalizePlatform(raw), want, raw);
});

t.test('engine and kernel names of a device map to OCI platforms; a bare arm keeps its unknown variant', async (t) => {
  const cases: [string, string][] = [
    ['x86_64', 'amd64'],
    ['amd64', 'amd64'],
    ['aarch64', 'arm64'],
    ['arm64', 'arm64'],
    ['arm/v7', 'arm/v7'],
    ['armv7l', 'arm/v7'],
    ['armv6l', 'arm/v6'],
    ['arm/v6', 'arm/v6'],
    ['armv8l', 'arm/v8'],
    ['arm', 'arm'],
    ['i686', '386'],
    ['386', '386'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
  ];
  for (const [raw, want] of cases) t.equal(normalizeDeviceArch(raw), want, raw);
  t.equal(describeDeviceArch('arm'), 'arm (variant unknown, counted as arm/v6)');
  t.equal(describeDeviceArch('armv7l'), 'arm/v7');
});

t.test('a device runs images of its platform and of older variants of it', async (t) => {
  const yes: [string, string][] = [
    ['amd64', 'amd64'],
    ['arm64', 'arm64'],
    ['arm/v7', 'arm/v7'],
    ['arm/v7', 'arm/v6'],
    ['arm/v7', 'arm/v5'],
    ['arm/v8', 'arm/v7'],
    ['arm', 'arm/v6'],
    ['amd64/v3', 'amd64'],
    ['amd64/v3', 'amd64/v2'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['386', '386'],
  ];
  const no: [string, string][] = [
    ['arm/v6', 'arm/v7'],
    ['arm', 'arm/v7'],
    ['arm64', 'arm/v7'],
    ['amd64', '386'],
    ['amd64', 'arm64'],
    ['amd64', 'amd64/v2'],
    ['arm/v7', 'arm64'],
    ['ppc64le', 's390x'],
  ];
  for (const [d, i] of yes) t.ok(runsImagePlatform(normalizeDeviceArch(d), normalizePlatform(i)), `${d} runs ${i}`);
  for (const [d, i] of no) t.notOk(runsImagePlatform(normalizeDeviceArch(d), normalizePlatform(i)), `${d} does not run ${i}`);
});

t.test('an app runs on the platforms every image offers', async (t) => {
  t.same(intersectPlatforms([['linux/amd64', 'linux/arm64', 'linux/arm/v7'], ['linux/amd64', 'linux/arm64/v8'], ['x86_64', 'aarch64', 'linux/arm/v6']]), ['amd64', 'arm64']);
  t.same(intersectPlatforms([['linux/amd64'], ['linux/arm64']]), []);
  t.same(intersectPlatforms([]), []);
  t.same(intersectPlatforms([['linux/arm/v6', 'linux/amd64'], ['linux/arm/v7', 'linux/amd64']]), ['amd64', 'arm/v7'], 'variants combine to the most demanding');
  t.same(intersectPlatforms([['linux/arm/v6', 'linux/arm/v7'], ['linux/arm/v6']]), ['arm/v6'], 'the least demanding of each image');
  t.same(intersectPlatforms([['linux/amd64', 'unknown/unknown'], ['linux/amd64', 'unknown/unknown']]), ['amd64'], 'attestation entries are no platform');
  t.same(intersectPlatforms([['linux/amd64/v2'], ['linux/amd64']]), ['amd64/v2']);
});

t.test('ports and image refs compare in one spelling', async (t) => {
  t.equal(normalizePort('8080'), '8080/tcp');
  t.equal(normalizePort(53), '53/tcp');
  t.equal(normalizePort('53/UDP'), '53/udp');
  t.equal(normalizeImageRef('nginx'), 'docker.io/library/nginx:latest');
  t.equal(normalizeImageRef('nginx:1.27'), 'docker.io/library/nginx:1.27');
  t.equal(normalizeImageRef('jellyfin/jellyfin:10.9'), 'docker.io/jellyfin/jellyfin:10.9');
  t.equal(normalizeImageRef('ghcr.io/immich-app/immich-server:v1'), 'ghcr.io/immich-app/immich-server:v1');
  t.equal(normalizeImageRef('localhost:5000/app'), 'localhost:5000/app:latest');
  t.equal(normalizeImageRef('postgres@sha256:abc'), 'docker.io/library/postgres@sha256:abc');
});
