import t from 'tap';
// Guards the harness itself: a missing service must skip (or fail under WARREN_REQUIRE_SERVICES=1),
// never pass silently.
import { needServices } from '../../helpers/services.js';

t.test('a missing service skips or fails, never passes', async (t) => {
  const calls: string[] = [];
  const fake = { skip: (m?: string) => calls.push(`skip:${m}`), fail: (m?: string) => calls.push(`fail:${m}`) };
  process.env.WARREN_TEST_STATE = '/nonexistent/state.json';
  t.equal(needServices(fake, 'docker'), undefined);
  t.equal(calls.length, 1);
  t.match(calls[0], process.env.WARREN_REQUIRE_SERVICES === '1' ? /^fail:/ : /^skip:/);
});
