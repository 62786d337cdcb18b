import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { binaryString } from '../../support/binary-string.js';
import { clientOrderIdFor } from '../../../src/api/order-commands.js';

describe('the client order id of an Idempotency-Key', () => {
  const user = '0b6f6c1e-3d0f-4f3e-9d55-1b2c3d4e5f60';

  it('is the one every earlier version derived, so a retry after an upgrade finds its order', () => {
    expect(clientOrderIdFor(user, 'bench-1')).toBe('kc1016f05830f42052f3c2e89d5f3e61');
    expect(clientOrderIdFor(user, 'bench-1', 'acct-é')).toBe('kbef3dfca460164e3200733a258efdb5');
  });

  it('is `k` and the first 31 hex digits of SHA-256 over user, account and key (UTF-8, NUL between)', () => {
    const text = binaryString({ maxLength: 40 });
    fc.assert(
      fc.property(text, text, fc.option(text, { nil: undefined }), (u, key, account) => {
        const seed = account === undefined ? `${u}\0${key}` : `${u}\0${account}\0${key}`;
        const expected = `k${createHash('sha256').update(seed).digest('hex').slice(0, 31)}`;
        expect(clientOrderIdFor(u, key, account)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
