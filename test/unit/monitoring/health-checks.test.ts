import {
  CheckFailure,
  HealthChecks,
  databaseCheck,
  redisCheck,
  unresolvedOrdersCheck,
  venueCheck,
  type HealthCheck,
} from '../../../src/monitoring/health-checks.js';
import { UnresolvedOrders } from '../../../src/monitoring/unresolved-orders.js';

const never = () => new Promise<never>(() => undefined);

describe('HealthChecks', () => {
  it('passes when every probe resolves, in the order given', async () => {
    const report = await new HealthChecks([
      databaseCheck(async () => undefined),
      redisCheck(async () => 'PONG'),
    ]).run();
    expect(report.status).toBe('pass');
    expect(report.checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ['database', 'pass', 'answered select 1'],
      ['redis', 'pass', 'answered PING'],
    ]);
  });

  it('fails a probe that does not answer within its timeout, and names it', async () => {
    const report = await new HealthChecks([databaseCheck(never), redisCheck(async () => 'PONG')], {
      timeoutMs: 20,
    }).run();
    expect(report.status).toBe('fail');
    expect(report.checks[0]).toMatchObject({
      name: 'database',
      status: 'fail',
      detail: 'no answer within 20 ms',
    });
    expect(report.checks[1]!.status).toBe('pass');
  });

  it('never shows a driver message: only its own words and the error code', async () => {
    const secret = new Error('connect to postgres://kairos:hunter2@db.internal:5432 failed');
    Object.assign(secret, { code: 'ECONNREFUSED' });
    const raw: HealthCheck = {
      name: 'raw',
      probe: () => Promise.reject(new Error('password=hunter2')),
    };
    const report = await new HealthChecks([
      databaseCheck(() => Promise.reject(secret)),
      raw,
      {
        name: 'thrown',
        probe: () => {
          throw new Error('sync hunter2');
        },
      },
    ]).run();
    expect(report.checks.map((c) => c.detail)).toEqual([
      'database did not answer (ECONNREFUSED)',
      'probe failed',
      'probe failed',
    ]);
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });

  it('starts a hung probe once, however often it runs', async () => {
    let started = 0;
    const checks = new HealthChecks([{ name: 'slow', probe: () => (started++, never()) }], {
      timeoutMs: 5,
    });
    await checks.run();
    await checks.run();
    await checks.run();
    expect(started).toBe(1);
  });

  it('answers the last report again within reuseMs', async () => {
    let t = 0;
    let probes = 0;
    const checks = new HealthChecks([{ name: 'n', probe: async () => void probes++ }], {
      reuseMs: 100,
      now: () => t,
    });
    await checks.run();
    t = 99;
    await checks.run();
    expect(probes).toBe(1);
    t = 100;
    await checks.run();
    expect(probes).toBe(2);
  });

  it('refuses two checks of one name', () => {
    expect(() => new HealthChecks([redisCheck(async () => 1), redisCheck(async () => 1)])).toThrow(
      'health check "redis" given twice',
    );
  });
});

describe('venueCheck', () => {
  it('fails naming each link that is down', async () => {
    let up = true;
    const check = venueCheck([
      { venue: 'PAPER', channel: 'market-data', state: () => ({ up, detail: up ? 'ok' : 'lost' }) },
      { venue: 'PAPER', channel: 'orders', state: () => ({ up: true, detail: 'in process' }) },
    ]);
    await expect(check.probe()).resolves.toBe('PAPER market-data: ok; PAPER orders: in process');
    up = false;
    await expect(check.probe()).rejects.toThrow(new CheckFailure('PAPER market-data: lost'));
  });
});

describe('unresolvedOrdersCheck with UnresolvedOrders', () => {
  it('fails once the oldest unresolved order is older than the bound', async () => {
    let now = 0;
    const watch = new UnresolvedOrders(() => now);
    const check = unresolvedOrdersCheck(() => watch.oldest(), 1_000);
    watch.mark('a', true);
    now = 600;
    watch.mark('b', true);
    watch.mark('a', true); // seen again: keeps its first time
    now = 1_000;
    await expect(check.probe()).resolves.toBe('2 unresolved, oldest 1000 ms (bound 1000 ms)');
    now = 1_001;
    await expect(check.probe()).rejects.toThrow('2 unresolved, oldest 1001 ms (bound 1000 ms)');
    watch.mark('a', false);
    await expect(check.probe()).resolves.toBe('1 unresolved, oldest 401 ms (bound 1000 ms)');
    watch.sync(['c']); // the OMS's list wins: b resolved, c found now
    expect(watch.oldest()).toEqual({ count: 1, oldestMs: 0 });
    watch.sync([]);
    expect(watch.oldest()).toEqual({ count: 0, oldestMs: 0 });
  });
});
