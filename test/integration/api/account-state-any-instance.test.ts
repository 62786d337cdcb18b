import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema } from '../../support/postgres.js';
import { until } from '../../support/until.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

type Op = { readonly k: 'close' | 'reopen' | 'default' | 'create' };

/**
 * Several instances share the accounts (Postgres leases, Redis). A read of an account on any
 * instance answers what the store holds (`docs/decisions/accounts.md`, "Closing and reopening"):
 * closed, reopened, created or made the default on the instance that holds it, the other
 * instance's `GET /accounts/{id}` and `GET /accounts` show it at once. Until 2026-12-07 they
 * showed it from their next read of the accounts, a lease round later (a third of the TTL).
 */
describe('an account read on any instance answers as the store has it (two instances)', () => {
  const schema = `kairos_acct_any_${process.pid}_${randomBytes(4).toString('hex')}`;
  const prefix = uniquePrefix();
  let cleanup: () => Promise<void>;
  let t: TestServer;
  let other: RunningServer;

  beforeAll(async () => {
    ({ cleanup } = await testRedis(prefix));
    t = await startTestServer({
      postgresSchema: schema,
      env: { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix },
    });
    other = await t.another();
  }, 120_000);
  afterAll(async () => {
    await other?.close();
    await t?.server.close();
    await dropTestSchema(schema);
    await cleanup?.();
  });

  const call = (
    on: RunningServer,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<Answer> =>
    apiCall(on.url, method, route, { token: t.token, ...(body === undefined ? {} : { body }) });
  const both = () => [t.server, other] as const;
  /** The instance that holds `id` now, and the other one. */
  const sides = (id: string) => {
    const [a, b] = both();
    return a.ownership.owns(id) ? { owner: a, away: b } : { owner: b, away: a };
  };
  /** Each instance holds one account or more (the split settled), `ids` each held by one. */
  const settled = (ids: readonly string[]) =>
    until(
      () =>
        ids.every((id) => t.server.ownership.owns(id) !== other.ownership.owns(id)) &&
        both().every((s) => ids.some((id) => s.ownership.owns(id))),
      60_000,
      'the accounts split between the instances',
    );

  it('any sequence of close, reopen, default and create on the owner reads the same at once on the other instance', async () => {
    const first = await call(t.server, 'POST', '/accounts', { name: 'a0', startingCash: '1000' });
    expect(first.status).toBe(201);
    const ids = [first.json.id as string];
    await settled([...ids, 'desk']);
    let made = 1;
    const model = new Map<string, { closed: boolean }>([[ids[0]!, { closed: false }]]);
    let defaultId: string | null = ids[0]!;

    /** Both instances answer the account (and the caller's list) as the model says, at once. */
    const agrees = async () => {
      for (const on of both()) {
        for (const [id, m] of model) {
          const one = await call(on, 'GET', `/accounts/${id}`);
          expect([one.status, one.json.status, one.json.default]).toEqual([
            200,
            m.closed ? 'closed' : 'open',
            id === defaultId,
          ]);
        }
        const list = await call(on, 'GET', '/accounts');
        const mine = list.json.accounts
          .filter((a: { shared: boolean }) => !a.shared)
          .map((a: { id: string; status: string; default: boolean }) => [
            a.id,
            a.status,
            a.default,
          ]);
        expect(mine).toEqual(
          [...model].map(([id, m]) => [id, m.closed ? 'closed' : 'open', id === defaultId]),
        );
      }
    };

    const step = async (o: Op, pick: number) => {
      const list = [...model.keys()];
      const id = list[pick % list.length]!;
      const { owner } = sides(id);
      const m = model.get(id)!;
      switch (o.k) {
        case 'close': {
          // The owner decides (a hand-over under way answers 503: retried, as a client does).
          const r = await until(
            async () => {
              const a = await call(sides(id).owner, 'DELETE', `/accounts/${id}`);
              return a.status === 503 ? false : a;
            },
            20_000,
            'the owner answered the close',
          );
          expect([r.status, r.json.status]).toEqual([200, 'closed']);
          if (!m.closed && defaultId === id) {
            const open = [...model].filter(([x, v]) => x !== id && !v.closed).map(([x]) => x);
            defaultId = open[0] ?? null;
          }
          m.closed = true;
          return;
        }
        case 'reopen': {
          const r = await until(
            async () => {
              const a = await call(sides(id).owner, 'POST', `/accounts/${id}/reopen`);
              return a.status === 503 ? false : a;
            },
            20_000,
            'the owner answered the reopen',
          );
          expect([r.status, r.json.status]).toEqual([200, 'open']);
          if (m.closed && defaultId === null) defaultId = id;
          m.closed = false;
          return;
        }
        case 'default': {
          const r = await call(owner, 'PUT', '/users/me/default-account', { accountId: id });
          if (m.closed) return expect(r.json.code).toBe('ACCOUNT_DISABLED');
          expect(r.status).toBe(200);
          defaultId = id;
          return;
        }
        case 'create': {
          if (model.size >= 4) return;
          const on = both()[pick % 2]!;
          const r = await call(on, 'POST', '/accounts', {
            name: `a${made++}`,
            startingCash: '1000',
          });
          expect(r.status).toBe(201);
          model.set(r.json.id, { closed: false });
          if (defaultId === null) defaultId = r.json.id;
          return;
        }
      }
    };

    const op = fc.record({
      k: fc.constantFrom('close', 'reopen', 'default', 'create' as const),
      pick: fc.nat(7),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 6 }), async (ops) => {
        for (const o of ops) {
          await step(o, o.pick);
          await agrees();
        }
      }),
      { seed: 20261207, numRuns: 8 },
    );
  }, 240_000);
});
