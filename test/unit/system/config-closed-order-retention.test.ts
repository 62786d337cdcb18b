import fc from 'fast-check';
import { withClosedOrderRetention } from '../../../src/cli/cli-config.js';
import { loadConfig, maskedConfig } from '../../../src/system/config.js';

const VAR = 'KAIROS_CLOSED_ORDER_RETENTION_MS';
const MIN = 60_000;
const MAX = 86_400_000;
const RULE = 'an integer 60000-86400000 (ms: 1 minute to 1 day)';

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('no error');
}

/** Values that break the rule: out of range, negative, fractional, with a unit, not a number. */
const invalid = fc.oneof(
  fc.integer({ min: 0, max: MIN - 1 }).map(String),
  fc.integer({ min: MAX + 1, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.integer({ min: -MAX, max: -1 }).map(String),
  fc.integer({ min: MIN, max: MAX - 1 }).map((n) => `${n}.5`),
  fc.integer({ min: 1, max: 1440 }).map((n) => `${n}m`),
  fc.constantFrom('10m', '600s', '1e5', '0x10000', 'Infinity', 'NaN', '6e4', '+60000', '1_000_000'),
  fc.string({ minLength: 1 }).filter((s) => s.trim() !== '' && !/^\d+$/.test(s.trim())),
);

describe('KAIROS_CLOSED_ORDER_RETENTION_MS', () => {
  it('defaults to 10 minutes, shown by kairos config', () => {
    expect(loadConfig({}).closedOrderRetentionMs).toBe(600_000);
    expect(loadConfig({ [VAR]: ' ' }).closedOrderRetentionMs).toBe(600_000);
    expect(maskedConfig(loadConfig({})).closedOrderRetentionMs).toBe(600_000);
    expect(maskedConfig(loadConfig({ [VAR]: '60000' })).closedOrderRetentionMs).toBe(60_000);
  });

  it('takes any integer from a minute to a day, the bounds included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: MIN, max: MAX }), fc.constantFrom(MIN, MAX)), (ms) => {
        expect(loadConfig({ [VAR]: String(ms) }).closedOrderRetentionMs).toBe(ms);
        expect(loadConfig({ [VAR]: ` ${ms} ` }).closedOrderRetentionMs).toBe(ms);
      }),
    );
  });

  it('refuses anything else, naming the variable, the rule and the value', () => {
    fc.assert(
      fc.property(invalid, (value) => {
        const e = thrown(() => loadConfig({ [VAR]: value }));
        expect(e.code).toBe('CONFIG_INVALID');
        expect(e.message).toBe(`${VAR}: must be ${RULE}, was "${value.trim()}"`);
      }),
    );
  });

  it('--closed-order-retention-ms wins over the variable, with the same rule (USAGE)', () => {
    const env = loadConfig({ [VAR]: '120000' });
    expect(withClosedOrderRetention(env, {}).closedOrderRetentionMs).toBe(120_000);
    fc.assert(
      fc.property(fc.integer({ min: MIN, max: MAX }), (ms) => {
        const c = withClosedOrderRetention(env, { closedOrderRetentionMs: String(ms) });
        expect(c.closedOrderRetentionMs).toBe(ms);
        // Everything else is the environment's.
        expect({ ...c, closedOrderRetentionMs: 120_000 }).toEqual(env);
      }),
    );
    fc.assert(
      fc.property(invalid, (value) => {
        const e = thrown(() => withClosedOrderRetention(env, { closedOrderRetentionMs: value }));
        expect(e.code).toBe('USAGE');
        expect(e.message).toBe(
          `--closed-order-retention-ms: must be ${RULE}, was ${JSON.stringify(value)}`,
        );
      }),
    );
  });
});
