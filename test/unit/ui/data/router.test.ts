import t from 'tap';
import { parseRoute } from '../../../../ui/data/router.js';

t.test('hash routes name the page, its parameter and query', async (t) => {
  t.same({ ...parseRoute(''), query: undefined }, { page: 'dashboard', query: undefined }, 'no hash is the dashboard');
  t.equal(parseRoute('#/devices').page, 'devices');
  t.equal(parseRoute('#/devices').param, undefined);
  t.equal(parseRoute('#/devices/nas%20box').param, 'nas box', 'parameters are decoded');
  t.equal(parseRoute('#/install/warren-demo').param, 'warren-demo');
  const setup = parseRoute('#/setup?token=abc-123');
  t.equal(setup.page, 'setup');
  t.equal(setup.query.get('token'), 'abc-123');
  t.equal(parseRoute('#/events?domain=device').query.get('domain'), 'device');
});
