// The version a new shared server would run, read from its image's tag for placement.
import t from 'tap';
import { imageTagVersion } from '../../../../core/pooling/service.js';

t.test('an image tag that names a version', async (t) => {
  t.equal(imageTagVersion('postgres:16'), '16');
  t.equal(imageTagVersion('docker.io/library/mariadb:10.11.6-jammy'), '10.11.6-jammy');
  t.equal(imageTagVersion('localhost:5000/warren-test/postgres:15'), '15', 'a registry port is not a tag');
  t.equal(imageTagVersion('localhost:5000/postgres'), undefined);
  t.equal(imageTagVersion('postgres:latest'), undefined, 'latest names no version');
  t.equal(imageTagVersion('postgres'), undefined);
  t.equal(imageTagVersion('postgres:16@sha256:abc'), undefined, 'a digest is not read');
});
