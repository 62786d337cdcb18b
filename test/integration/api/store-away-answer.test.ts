import Fastify from 'fastify';
import pg from 'pg';
import { registerProblems } from '../../../src/api/problem.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';

/**
 * A request whose database connection is cut (a failover, a restart, a pool that cannot connect
 * in time) answers 503 `STORE_UNAVAILABLE` with `Retry-After`, which a client retries, never
 * 500 `INTERNAL`: found by the failover e2e, where a read of the idempotency lookup hit a pool
 * connect timeout. The errors are node-postgres's own, from a real server.
 */
describe('an API request when the database drops or refuses its connection', () => {
  const app = Fastify();
  registerProblems(app);
  // Ends its own session: node-postgres raises SQLSTATE 57P01 (admin shutdown).
  app.get('/cut', async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await c.query('select pg_terminate_backend(pg_backend_pid())');
    } finally {
      await c.end().catch(() => undefined);
    }
  });
  // Nothing listens there: ECONNREFUSED.
  app.get('/refused', async () => {
    const c = new pg.Client({ connectionString: 'postgres://x@127.0.0.1:1/none' });
    await c.connect();
    return {};
  });
  // A statement the database refuses is a bug of ours (or bad data), not the store being away.
  app.get('/refusedStatement', async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      return await c.query('select * from no_such_table_here');
    } finally {
      await c.end();
    }
  });
  let url = '';
  beforeAll(async () => {
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());
  const get = async (route: string) => {
    const r = await fetch(`${url}${route}`);
    return {
      status: r.status,
      headers: r.headers,
      json: (await r.json()) as Record<string, string>,
    };
  };

  it.each(['/cut', '/refused'])('%s: 503 STORE_UNAVAILABLE with Retry-After', async (route) => {
    const r = await get(route);
    expect([r.status, r.json.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    expect(r.headers.get('retry-after')).toBe('2');
    expect(r.json.detail).toMatch(/^the database did not answer: /);
  });

  it('a statement the database refuses stays a 500 that says nothing of its cause', async () => {
    const r = await get('/refusedStatement');
    expect([r.status, r.json.code, r.json.detail]).toEqual([500, 'INTERNAL', 'internal error']);
  });
});
