import fc from 'fast-check';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { isTransient } from '../../../src/api/error-catalogue.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { gatewayApp, TRADER } from '../../support/ws-gateway-app.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON frames, checked field by field
type Frame = any;

/**
 * Codes a `risk` snapshot of one account may be refused with: passing (503) and standing;
 * `ECONNREFUSED`: node-postgres's own error for a database that is not there (the store away),
 * told as `STORE_UNAVAILABLE`.
 */
const CODES = [
  'ACCOUNT_OWNER_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'ACCOUNT_CREDENTIAL_REFUSED',
  'ACCOUNT_DISABLED',
  'ECONNREFUSED',
] as const;
const told = (code: string) => (code === 'ECONNREFUSED' ? 'STORE_UNAVAILABLE' : code);

/** node-postgres's error for a database that does not listen (nothing does on port 1). */
async function connectionRefused(): Promise<unknown> {
  const c = new pg.Client({ connectionString: 'postgres://x@127.0.0.1:1/none' });
  return c.connect().then(
    () => new Error('connected to port 1'),
    (e: unknown) => e,
  );
}

/** Per account: its snapshot answers, or is refused with `code` the first `times` asks. */
const accountCase = fc.record({
  refused: fc.option(
    fc.record({ code: fc.constantFrom(...CODES), times: fc.integer({ min: 1, max: 3 }) }),
    { nil: null },
  ),
});

/**
 * The `risk` channel starts each account with a snapshot (no `after`): one account's refused
 * snapshot is that account's alone, as for positions and balances (`ws-account-refusals.test.ts`):
 * its own error frame with its `accountId` and `retrying`, the channel's other accounts
 * subscribed with their snapshots; a passing refusal (`isTransient`) is retried for that account
 * alone until its snapshot comes; one that stands is told once. Before, one refusal failed the
 * whole channel: an error frame naming no account, and no snapshot for the others. The real
 * gateway on a Fastify server; the snapshots refused are the test's.
 */
describe('WebSocket `risk` snapshot refused for one account', () => {
  let app: FastifyInstance;
  let url = '';
  /** The accounts of the run under way, and how often each was asked. */
  let plan = new Map<string, { code: string; times: number } | null>();
  const asked = new Map<string, number>();

  beforeAll(async () => {
    ({ app, url } = await gatewayApp({
      visibleAccounts: () => [...plan.keys()],
      accountOwner: () => TRADER.sub,
      subscribeRetry: { initialMs: 5, maxMs: 20, attempts: 20, totalMs: 10_000 },
      snapshot: async (_claims, kind, key) => {
        if (kind !== 'risk') return [];
        const n = (asked.get(key) ?? 0) + 1;
        asked.set(key, n);
        const r = plan.get(key);
        if (r && n <= r.times)
          throw r.code === 'ECONNREFUSED'
            ? await connectionRefused()
            : new KairosError(r.code, `account ${key}: refused (${n})`);
        return [{ accountId: key, tradingState: 'ACTIVE' }];
      },
    }));
  });
  afterAll(() => app.close());

  it('each refused account is told in its own frame, the others get their snapshots, passing ones are retried alone', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(accountCase, { minLength: 2, maxLength: 4 }), async (cases) => {
        run++;
        plan = new Map(cases.map((c, i) => [`acc-${run}-${i}`, c.refused]));
        asked.clear();
        const ws = await subscribedSocket<Frame>(url, 't', []);
        try {
          ws.send({ type: 'subscribe', channel: 'risk' });
          const snapshotOf = (id: string) =>
            ws.frames.find((f) => f.type === 'snapshot' && f.accountId === id);
          const answered = [...plan].filter(([, r]) => r === null || isTransient(told(r.code)));
          await until(
            () =>
              ws.frames.some((f) => f.type === 'subscribed') &&
              answered.every(([id]) => snapshotOf(id) !== undefined),
            10_000,
            'every account that answers (at last) snapshotted',
          );
          const first = ws.frames.find((f) => f.type === 'subscribed');
          for (const [id, r] of plan) {
            const errors = ws.frames.filter((f) => f.type === 'error' && f.accountId === id);
            if (r === null) {
              expect(errors).toEqual([]);
              expect(snapshotOf(id).risk).toEqual({ accountId: id, tradingState: 'ACTIVE' });
              expect(first.from).toHaveProperty(id);
              continue;
            }
            // Told once, at the subscription, naming the account and whether it is retried.
            const code = told(r.code);
            expect(errors.map((f) => [f.code, f.channel, f.retrying])).toEqual([
              [code, 'risk', isTransient(code)],
            ]);
            expect(first.from).not.toHaveProperty(id);
            if (isTransient(code)) expect(asked.get(id)).toBe(r.times + 1);
            else {
              expect(snapshotOf(id)).toBeUndefined();
              expect(asked.get(id)).toBe(1);
            }
          }
          // Nothing fails the channel as a whole, and the socket stays open.
          expect(ws.frames.filter((f) => f.type === 'error' && f.accountId === undefined)).toEqual(
            [],
          );
          expect(ws.open()).toBe(true);
        } finally {
          ws.close();
        }
      }),
      { numRuns: 12 },
    );
  }, 60_000);
});
