import { startTestServer, type TestServer } from '../../support/api-server.js';
import { PrivatePostgres, PrivateRedis } from '../../support/private-services.js';

interface Check {
  name: string;
  status: 'pass' | 'fail';
  durationMs: number;
  detail: string;
}

interface Answer {
  status: number;
  type: string;
  cache: string | null;
  body: Record<string, unknown>;
  text: string;
}

async function get(url: string): Promise<Answer> {
  const res = await fetch(url);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    cache: res.headers.get('cache-control'),
    body: JSON.parse(text) as Record<string, unknown>,
    text,
  };
}

/** Polls `GET /health/ready` until `accept` takes an answer; fails after `timeoutMs`. */
async function readyUntil(
  base: string,
  accept: (a: Answer) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | undefined;
  for (;;) {
    last = await get(`${base}/health/ready`);
    if (accept(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`${what} not seen within ${timeoutMs} ms; last: ${last.status} ${last.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const failedOf = (a: Answer) => (a.body.failed as string[] | undefined) ?? [];

describe('GET /health/ready with a Postgres and a Redis that go away', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let t: TestServer;
  let base: string;

  beforeAll(async () => {
    // Each kept as it starts: when the other fails, afterAll still stops it (a Redis left running
    // holds the worker's output open, and Jest waits for it).
    await Promise.all([
      PrivatePostgres.start().then((p) => (pg = p)),
      PrivateRedis.start().then((r) => (redis = r)),
    ]);
    t = await startTestServer({ env: { DATABASE_URL: pg.url, REDIS_URL: redis.url } });
    base = t.server.url;
  }, 120_000);

  afterAll(async () => {
    try {
      await t?.server.close();
    } finally {
      // Even when closing fails (a test left Redis down): never leave a cluster running.
      await Promise.all([pg?.destroy(), redis?.stop()]);
    }
  }, 60_000);

  const liveAndOldHealthUnchanged = async () => {
    const live = await get(`${base}/health/live`);
    expect([live.status, live.body]).toEqual([200, { status: 'pass' }]);
    const old = await get(`${base}/health`);
    expect([old.status, old.body]).toEqual([200, { status: 'ok', unresolvedOrders: false }]);
  };

  it('answers 200 with every check when all is up', async () => {
    const ready = await readyUntil(base, (a) => a.status === 200, 'ready');
    expect(ready.type).toMatch(/^application\/json/);
    expect(ready.cache).toBe('no-store');
    expect(ready.body.status).toBe('pass');
    const checks = ready.body.checks as Check[];
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['database', 'pass'],
      ['redis', 'pass'],
      ['venue', 'pass'],
      ['unresolved-orders', 'pass'],
      ['draining', 'pass'],
      ['ownership', 'pass'],
    ]);
    // On Postgres the instance trades the accounts it holds the leases of: alone, all of them.
    expect(checks.find((c) => c.name === 'ownership')!.detail).toMatch(
      /^instance \S+ owns 1 of 1 accounts \(1 live instances\): desk$/,
    );
    await liveAndOldHealthUnchanged();
  });

  it('turns 503 naming `database` when Postgres stops, and 200 when it is back', async () => {
    await pg.stop();
    const down = await readyUntil(base, (a) => a.status === 503, '503 with Postgres stopped');
    expect(down.type).toMatch(/^application\/problem\+json/);
    expect(down.cache).toBe('no-store');
    expect(down.body).toMatchObject({ code: 'NOT_READY', status: 503, title: 'Not ready' });
    expect(failedOf(down)).toEqual(['database']);
    expect(down.body.detail).toMatch(/^database: /);
    // Nothing secret or internal: no connection string, host:port, stack or driver message.
    expect(down.text).not.toContain('postgres://');
    expect(down.text).not.toContain(String(pg.port));
    expect(down.text).not.toMatch(/\bat .+\.(js|ts):\d+/);
    await liveAndOldHealthUnchanged();

    await pg.startAgain();
    const up = await readyUntil(base, (a) => a.status === 200, '200 with Postgres back');
    expect((up.body.checks as Check[]).every((c) => c.status === 'pass')).toBe(true);
  }, 60_000);

  it('turns 503 naming `redis` when Redis goes away; live stays 200', async () => {
    await redis.stop();
    const down = await readyUntil(
      base,
      (a) => a.status === 503 && failedOf(a).includes('redis'),
      '503 naming redis',
    );
    expect(failedOf(down)).toEqual(['redis']);
    expect(down.text).not.toContain(redis.url);
    // The rate limit counts in Redis; no health route is limited, so none answers 500.
    await liveAndOldHealthUnchanged();

    redis = await PrivateRedis.start(redis.port);
    await readyUntil(base, (a) => a.status === 200, '200 with Redis back');
  }, 60_000);
});
