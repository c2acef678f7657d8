import t from 'tap';
import { intersectPlatforms, normalizeImageRef, normalizePlatform, normalizePort } from '../../../../core/placement/index.js';

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
  ];
  for (const [raw, want] of cases) t.equal(normalizePlatform(raw), want, raw);
});

t.test('an app runs on the platforms every image offers', async (t) => {
  t.same(intersectPlatforms([['linux/amd64', 'linux/arm64', 'linux/arm/v7'], ['linux/amd64', 'linux/arm64/v8'], ['x86_64', 'aarch64', 'linux/arm/v6']]), ['amd64', 'arm64']);
  t.same(intersectPlatforms([['linux/amd64'], ['linux/arm64']]), []);
  t.same(intersectPlatforms([]), []);
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
