import t from 'tap';
import { WarrenError, describeError } from '../../../core/errors.js';

t.test('WarrenError carries code, status, hint and path details', async (t) => {
  const e = new WarrenError('WARREN_ERR_INVALID_INPUT', 'port must be a number', {
    hint: 'use 1-65535',
    details: [{ path: '/ports/0', message: 'must be integer' }],
  });
  t.equal(e.status, 400);
  t.same(e.toJSON(), {
    code: 'WARREN_ERR_INVALID_INPUT',
    message: 'port must be a number',
    hint: 'use 1-65535',
    details: [{ path: '/ports/0', message: 'must be integer' }],
  });
});

t.test('describeError maps foreign errors to an internal code without the stack', async (t) => {
  const d = describeError(new TypeError('boom'));
  t.same(d, { code: 'WARREN_ERR_INTERNAL', message: 'boom' });
  t.equal(describeError(new WarrenError('WARREN_ERR_NOT_FOUND', 'no such device')).code, 'WARREN_ERR_NOT_FOUND');
});
