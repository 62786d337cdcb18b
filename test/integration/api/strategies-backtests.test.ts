import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { btcSlice } from '../../support/paper-args.js';
import { runCli } from '../../support/run-cli.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

describe('API: strategies (catalog, start, state, stop) and backtests (background jobs)', () => {
  let t: TestServer;
  let strategies: string;
  let data: string;
  /** A second quant, to show that objects are scoped to their owner. */
  let otherQuant: string;

  beforeAll(async () => {
    // Bars move (5 a second) so strategies see them.
    t = await startTestServer({ speed: 300, bars: 3000 });
    strategies = path.join(t.home, 'strategies');
    addToCatalog(strategies, 'examples/strategies/sma-cross.ts', 'sma-cross');
    addToCatalog(strategies, 'test/fixtures/strategies/boom.ts', 'boom');
    addToCatalog(strategies, 'examples/strategies/trade-momentum.ts', 'trade-momentum');
    // Decides on bars, with one indicator fed trade prices.
    writeFileSync(
      path.join(strategies, 'tape.ts'),
      `import { defineStrategy, sma } from 'kairos/sdk';
export default defineStrategy({
  name: 'tape',
  indicators: () => ({ prints: sma(5, 'trade'), closes: sma(5) }),
  onBar(ctx) {
    if (ctx.indicators.prints.value !== null) ctx.buy('0.001');
  },
});
`,
    );
    data = path.join(t.home, 'data');
    mkdirSync(path.join(data, 'btc'), { recursive: true });
    btcSlice(path.join(data, 'btc', 'BTC_X-1m.json'), 400);
    const made = await call('POST', '/users', {
      token: t.tokens.admin,
      body: { username: 'quentin', password: 'another quant passphrase', role: 'quant' },
    });
    expect(made.status).toBe(201);
    otherQuant = await t.login('quentin', 'another quant passphrase', made.json.secret);
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  const call = (method: string, url: string, opts: { token?: string; body?: unknown } = {}) =>
    apiCall(t.server.url, method, url, opts);

  const quant = () => t.tokens.quant;

  async function auditActions(subject: string): Promise<string[]> {
    const page = await call('GET', '/audit?limit=1000', { token: t.tokens.auditor });
    expect(page.status).toBe(200);
    return page.json.rows
      .filter((r: Json) => r.subject === subject)
      .map((r: Json) => `${r.role}:${r.action}`);
  }

  it('lists the catalog; a quant starts a strategy on the running core, reads its state and stops it (audited); others see nothing', async () => {
    const list = await call('GET', '/strategies', { token: t.tokens.trader });
    expect(list.status).toBe(200);
    expect(list.json.catalog).toEqual([
      { name: 'boom' },
      { name: 'sma-cross' },
      { name: 'tape' },
      { name: 'trade-momentum' },
    ]);
    expect(list.json.instances).toEqual([]);

    const traderStart = await call('POST', '/strategies/sma-cross/start', {
      token: t.tokens.trader,
      body: {},
    });
    expect([traderStart.status, traderStart.json.code]).toEqual([403, 'FORBIDDEN']);

    const started = await call('POST', '/strategies/sma-cross/start', {
      token: quant(),
      body: { params: { fast: 2, slow: 4, size: '1' } },
    });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    expect(started.json).toMatchObject({
      name: 'sma-cross',
      status: 'running',
      params: { fast: 2, slow: 4, size: '1' },
      codeSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(id.length).toBeLessThanOrEqual(23); // its client order ids stay whole

    // It sees bars and trades through the risk gate (its orders carry its strategy id).
    const state = await until(
      async () => {
        const s = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
        expect(s.status).toBe(200);
        return s.json.orders > 0 && s.json.lastBarAt !== null ? s.json : undefined;
      },
      60_000,
      'the strategy trades',
    );
    expect(state.state).toEqual(expect.any(Object));
    const orders = t.server.core.exec.allOrders().filter((o) => o.strategyId === id);
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((o) => o.clientOrderId.startsWith(`${id}-`))).toBe(true);

    // Its orders are the quant's: listed, readable and cancelable by them, by no one else.
    const mineListed = await until(async () => {
      const l = await call('GET', '/orders?limit=500', { token: quant() });
      const ids = new Set(l.json.orders.map((o: Json) => o.clientOrderId));
      return orders.every((o) => ids.has(o.clientOrderId)) ? l.json.orders : undefined;
    }, 30_000);
    expect(mineListed.length).toBeGreaterThanOrEqual(orders.length);
    const first = orders[0]!.clientOrderId;
    expect((await call('GET', `/orders/${first}`, { token: quant() })).status).toBe(200);
    const theirs = await call('GET', `/orders/${first}`, { token: otherQuant });
    expect([theirs.status, theirs.json.code]).toEqual([404, 'NOT_FOUND']);
    // A trader may cancel orders, but not this one: not theirs.
    const cancelByOther = await call('DELETE', `/orders/${first}`, { token: t.tokens.trader });
    expect([cancelByOther.status, cancelByOther.json.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call('GET', '/orders', { token: otherQuant })).json.orders).toEqual([]);
    expect((await call('GET', '/fills', { token: otherQuant })).json.fills).toEqual([]);

    // Another quant, and a trader, do not find it; the other quant's list is empty.
    for (const token of [otherQuant, t.tokens.trader]) {
      const s = await call('GET', `/strategies/instances/${id}/state`, { token });
      expect([s.status, s.json.code]).toEqual([404, 'NOT_FOUND']);
    }
    const stopByOther = await call('POST', `/strategies/instances/${id}/stop`, {
      token: otherQuant,
      body: {},
    });
    expect([stopByOther.status, stopByOther.json.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call('GET', '/strategies', { token: otherQuant })).json.instances).toEqual([]);

    const mine = await call('GET', '/strategies', { token: quant() });
    expect(mine.json.instances).toEqual([expect.objectContaining({ id, status: 'running' })]);

    const stopped = await call('POST', `/strategies/instances/${id}/stop`, { token: quant() });
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ id, status: 'stopped', openOrders: 0 });
    expect(stopped.json.stoppedAt).toEqual(expect.any(Number));
    // Stopped means stopped: no new order after it.
    const made = t.server.core.exec.allOrders().filter((o) => o.strategyId === id).length;
    const bar = (await call('GET', `/strategies/instances/${id}/state`, { token: quant() })).json;
    await until(async () => {
      const c = await call('GET', '/candles?instrumentId=BTC/X&limit=1', { token: t.token });
      return c.json.candles[0].closeTime > (bar.lastBarAt ?? 0) + 5 * 60_000 || undefined;
    }, 30_000);
    expect(t.server.core.exec.allOrders().filter((o) => o.strategyId === id)).toHaveLength(made);
    expect(t.server.core.exec.openOrders(id)).toEqual([]);

    const again = await call('POST', `/strategies/instances/${id}/stop`, { token: quant() });
    expect([again.status, again.json.status]).toEqual([200, 'stopped']);

    expect(await auditActions(id)).toEqual(['quant:strategy.started', 'quant:strategy.stopped']);
  }, 120_000);

  it('a strategy that throws fails alone: status failed with the error, audited; the feed goes on', async () => {
    const started = await call('POST', '/strategies/boom/start', {
      token: quant(),
      body: { params: { after: 2 } },
    });
    expect(started.status).toBe(201);
    const id = started.json.id;
    const failed = await until(async () => {
      const s = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
      return s.json.status === 'failed' ? s.json : undefined;
    }, 60_000);
    expect(failed.error).toBe('boom after 2 bars');
    expect(await auditActions(id)).toEqual(['quant:strategy.started', 'system:strategy.failed']);
    const stop = await call('POST', `/strategies/instances/${id}/stop`, { token: quant() });
    expect([stop.status, stop.json.status]).toEqual([200, 'failed']);
    // The replay still moves.
    const before = (await call('GET', '/candles?instrumentId=BTC/X&limit=1', { token: t.token }))
      .json.candles[0].closeTime;
    await until(async () => {
      const c = await call('GET', '/candles?instrumentId=BTC/X&limit=1', { token: t.token });
      return c.json.candles[0].closeTime > before || undefined;
    }, 30_000);
  }, 120_000);

  it('refuses bad starts with a problem naming the field and the rule; nothing is started', async () => {
    const cases: [string, unknown, number, string, RegExp][] = [
      ['/strategies/sma-cross/start', { params: { fsat: 3 } }, 400, 'PARAM_UNKNOWN', /fsat/],
      ['/strategies/sma-cross/start', { params: { fast: 0 } }, 400, 'PARAM_INVALID', /fast/],
      ['/strategies/sma-cross/start', { owner: 'x' }, 400, 'VALIDATION', /body\.owner/],
      ['/strategies/nope/start', {}, 404, 'STRATEGY_NOT_FOUND', /strategy: "nope"/],
      ['/strategies/..%2F..%2Fetc%2Fpasswd/start', {}, 400, 'CATALOG_NAME_INVALID', /strategy:/],
      ['/strategies/.hidden/start', {}, 400, 'CATALOG_NAME_INVALID', /strategy:/],
      // The server feeds bars: a strategy that hears trades would not trade as in its backtest.
      [
        '/strategies/trade-momentum/start',
        {},
        422,
        'STRATEGY_NEEDS_TRADES',
        /^strategy "trade-momentum" hears public trades \(onTrade, fast, slow\); kairos serve feeds its strategies bars only/,
      ],
      [
        '/strategies/tape/start',
        {},
        422,
        'STRATEGY_NEEDS_TRADES',
        /hears public trades \(prints\)/,
      ],
    ];
    for (const [url, body, status, code, detail] of cases) {
      const res = await call('POST', url, { token: quant(), body });
      expect([url, res.status, res.json.code]).toEqual([url, status, code]);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.json.detail).toMatch(detail);
    }
    const list = await call('GET', '/strategies', { token: quant() });
    expect(list.json.instances.filter((i: Json) => i.status === 'running')).toEqual([]);
    expect(
      list.json.instances.filter((i: Json) => ['trade-momentum', 'tape'].includes(i.name)),
    ).toEqual([]);
  });

  const backtestBody = {
    strategy: 'sma-cross',
    data: 'btc/BTC_X-1m.json',
    params: { fast: 5, slow: 15, size: '1' },
    cash: '100000',
    lot: '0.001',
    seed: 7,
  };

  it('a backtest runs in the background; its report is the CLI’s report.json to the byte', async () => {
    const submitted = await call('POST', '/backtests', { token: quant(), body: backtestBody });
    expect(submitted.status).toBe(202);
    const id = submitted.json.id;
    expect(submitted.json).toMatchObject({ strategy: 'sma-cross', request: backtestBody });
    expect(['queued', 'running', 'done']).toContain(submitted.json.status);

    const done = await until(
      async () => {
        const j = await call('GET', `/backtests/${id}`, { token: quant() });
        expect(j.status).toBe(200);
        return j.json.status === 'done' ? j.json : undefined;
      },
      60_000,
      'the backtest is done',
    );
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
    const report = await call('GET', `/backtests/${id}/report`, { token: quant() });
    expect(report.status).toBe(200);
    expect(report.type).toMatch(/^application\/json/);
    expect(report.json.orders.length).toBeGreaterThan(0);

    const out = path.join(os.tmpdir(), `kairos-cli-report-${process.pid}`);
    const cli = runCli(
      [
        'backtest',
        'examples/strategies/sma-cross.ts',
        '--data',
        path.join(data, 'btc', 'BTC_X-1m.json'),
        '--params',
        'fast=5,slow=15,size=1',
        '--cash',
        '100000',
        '--lot',
        '0.001',
        '--seed',
        '7',
        '--no-progress',
        '--out',
        out,
      ],
      { KAIROS_HOME: path.join(t.home, 'cli') },
    );
    expect([cli.code, cli.stderr]).toEqual([0, '']);
    expect(report.text).toBe(readFileSync(path.join(out, 'report.json'), 'utf8'));

    // Owner-scoped: listed for its owner, not found for another quant, refused to a trader.
    const page = await call('GET', '/backtests', { token: quant() });
    expect(page.json.backtests.map((b: Json) => b.id)).toContain(id);
    expect((await call('GET', '/backtests', { token: otherQuant })).json.backtests).toEqual([]);
    for (const url of [`/backtests/${id}`, `/backtests/${id}/report`]) {
      const other = await call('GET', url, { token: otherQuant });
      expect([url, other.status, other.json.code]).toEqual([url, 404, 'NOT_FOUND']);
    }
    const trader = await call('GET', `/backtests/${id}`, { token: t.tokens.trader });
    expect([trader.status, trader.json.code]).toEqual([403, 'FORBIDDEN']);
    expect(await auditActions(id)).toEqual(['quant:backtest.submitted']);
  }, 180_000);

  it('a backtest whose strategy throws ends failed with the error; it has no report', async () => {
    const submitted = await call('POST', '/backtests', {
      token: quant(),
      body: { strategy: 'boom', params: { after: 3 } }, // on the server's feed
    });
    expect(submitted.status).toBe(202);
    const failed = await until(async () => {
      const j = await call('GET', `/backtests/${submitted.json.id}`, { token: quant() });
      return j.json.status === 'failed' ? j.json : undefined;
    }, 60_000);
    expect(failed.error).toMatch(/boom after 3 bars/);
    const report = await call('GET', `/backtests/${submitted.json.id}/report`, { token: quant() });
    expect([report.status, report.json.code]).toEqual([409, 'BACKTEST_NOT_DONE']);
    expect(report.json.detail).toMatch(/failed/);
  }, 120_000);

  it('lists backtests newest first in cursor pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await call('POST', '/backtests', {
        token: otherQuant,
        body: { ...backtestBody, seed: i, to: 1 },
      });
      expect(s.status).toBe(202);
      ids.push(s.json.id);
    }
    const seen: string[] = [];
    let url = '/backtests?limit=2';
    for (let pages = 0; pages < 5; pages++) {
      const page = await call('GET', url, { token: otherQuant });
      expect(page.status).toBe(200);
      seen.push(...page.json.backtests.map((b: Json) => b.id));
      if (page.json.next === null) break;
      url = `/backtests?limit=2&before=${page.json.next}`;
    }
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(3);
    const bad = await call('GET', '/backtests?before=garbage', { token: otherQuant });
    expect([bad.status, bad.json.code]).toEqual([400, 'CURSOR_INVALID']);
    // `to: 1` holds no bars: each fails with the data error, stored with the job.
    await until(async () => {
      const page = await call('GET', '/backtests', { token: otherQuant });
      return page.json.backtests.every((b: Json) => b.status === 'failed') || undefined;
    }, 60_000);
  }, 120_000);

  it('never lets a request name a file outside the catalogs', async () => {
    // A symbolic link inside the data catalog that points out of it.
    const outside = path.join(t.home, 'secret.json');
    writeFileSync(outside, '[]');
    symlinkSync(outside, path.join(data, 'link.json'));
    symlinkSync(path.join(t.home, 'keys'), path.join(data, 'keys'));
    const cases: [Record<string, unknown>, number, string][] = [
      [{ data: '../secret.json' }, 400, 'CATALOG_NAME_INVALID'],
      [{ data: '/etc/passwd' }, 400, 'CATALOG_NAME_INVALID'],
      [{ data: 'btc/../../secret.json' }, 400, 'CATALOG_NAME_INVALID'],
      [{ data: 'btc\\..\\..\\secret.json' }, 400, 'CATALOG_NAME_INVALID'],
      [{ data: 'link.json' }, 400, 'CATALOG_NAME_INVALID'],
      [{ data: 'keys/jwt-es256.pem' }, 400, 'CATALOG_NAME_INVALID'],
      [{ data: 'btc/missing.json' }, 404, 'DATA_NOT_FOUND'],
      [{ strategy: '../../examples/strategies/sma-cross' }, 400, 'CATALOG_NAME_INVALID'],
      [{ strategy: 'nope' }, 404, 'STRATEGY_NOT_FOUND'],
      [{ cash: '-1' }, 400, 'VALIDATION'],
      [{ cash: '0' }, 400, 'BACKTEST_INVALID'],
      [{ from: 10, to: 5 }, 400, 'BACKTEST_INVALID'],
      [{ out: '/tmp' }, 400, 'VALIDATION'],
    ];
    const before = (await call('GET', '/backtests', { token: quant() })).json.backtests.length;
    for (const [patch, status, code] of cases) {
      const res = await call('POST', '/backtests', {
        token: quant(),
        body: { ...backtestBody, ...patch },
      });
      expect([patch, res.status, res.json.code]).toEqual([patch, status, code]);
      const field = Object.keys(patch)[0]!;
      expect(res.json.detail).toContain(field === 'from' ? 'from' : field);
    }
    const after = (await call('GET', '/backtests', { token: quant() })).json.backtests.length;
    expect(after).toBe(before);
    const catalog = await call('GET', '/backtests/data', { token: quant() });
    expect(catalog.json.data).toEqual(['btc/BTC_X-1m.json']);
  });
});
