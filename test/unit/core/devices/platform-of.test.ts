// A device's platform for placement from its sources (host metrics, engine, stored): OCI spelling,
// and a source that knows the 32-bit ARM variant wins over one that says only `arm`.
import t from 'tap';
import { platformOf } from '../../../../core/devices/device-service.js';

t.test('the most specific platform of the first source\'s architecture', async (t) => {
  t.equal(platformOf('amd64', 'amd64', 'amd64'), 'amd64');
  t.equal(platformOf(undefined, 'x86_64', null), 'amd64', 'the engine\'s kernel name, in OCI spelling');
  t.equal(platformOf('arm', 'arm/v7', null), 'arm/v7', 'the engine knows the variant the host metrics do not');
  t.equal(platformOf('arm/v6', 'arm/v7', null), 'arm/v6', 'a source that knows the variant keeps precedence');
  t.equal(platformOf('arm', undefined, 'armv7l'), 'arm/v7', 'the stored value fills the variant in');
  t.equal(platformOf('arm', 'arm', null), 'arm', 'unknown stays unknown (placement counts it as v6)');
  t.equal(platformOf('arm64', 'arm/v7', null), 'arm64', 'another architecture never overrides the first source');
  t.equal(platformOf(undefined, undefined, 'unknown'), null);
  t.equal(platformOf('armv6l'), 'arm/v6');
});
