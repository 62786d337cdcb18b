import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lambdaClient } from '../../../src/cloud/lambda/lambda-client.js';
import { deployFunction, invokeFunction } from '../../../src/cloud/lambda/lambda-functions.js';
import { LambdaSeam, type LambdaSeamOptions } from '../../../src/cloud/lambda/lambda-seam.js';
import {
  startLocalLambda,
  type LocalLambda,
} from '../../../src/cloud/lambda/local-lambda-server.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { loadStrategy } from '../../../src/system/load-strategy.js';
import { packageStrategy } from '../../../src/system/strategy-package.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import type { Bar, MarketEvent } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import type { Order } from '../../../src/trading/model/order.js';
import type { StrategyDefinition } from '../../../src/trading/strategy/define-strategy.js';
import { resolveParams } from '../../../src/trading/strategy/params.js';
import { instrument } from '../../support/builders.js';
import { batches, simVenue } from '../../support/paper-trades.js';
import { DATA, ROOT } from '../../support/run-cli.js';
import { freshStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;

const INST = instrument({
  id: 'BTC/X',
  base: 'BTC',
  quote: 'X',
  tickSize: '0.00000001',
  lotSize: '1',
  makerFee: '0.001',
  takerFee: '0.001',
});
const CANARY = 'canary-9f3b-s3cr3t';
const SMA_PARAMS = { fast: 3, slow: 8, size: '100' };
const dir = tempDir('kairos-lambda-seam-');
const ROLE = 'arn:aws:iam::000000000000:role/kairos-strategy';

/** Market orders on crosses, a resting limit canceled on the next cross; counts fills; logs its env. */
const LIMITS = `import { crossOf, defineStrategy, param, sma } from 'kairos/sdk';
export default defineStrategy({
  name: 'cross-limits',
  params: { fast: param.int(5, { min: 1 }), slow: param.int(20, { min: 2 }) },
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow, 'hlc3') }),
  init: (ctx) => { ctx.log('env ' + JSON.stringify(globalThis.process?.env ?? {})); return { lastSign: 0, fills: 0 }; },
  onBar(ctx, bar) {
    const { sign, cross } = crossOf(ctx.state.lastSign, ctx.indicators.fast.value, ctx.indicators.slow.value);
    ctx.state.lastSign = sign;
    if (cross === null) return;
    ctx.cancelAll();
    if (cross === 'up' && ctx.position().isFlat) {
      ctx.buy('100');
      ctx.buy('50', { price: (bar.close * 0.999).toFixed(8) });
    } else if (cross === 'down' && ctx.position().isLong) ctx.sell(ctx.position().quantity);
  },
  onOrderEvent(ctx, e) {
    if (e.kind === 'OrderFilled') { ctx.state.fills++; ctx.log('filled ' + e.clientOrderId); }
  },
});
`;
const THROWS = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'throws-late',
  init: () => ({ n: 0 }),
  onBar(ctx) {
    ctx.state.n++;
    if (ctx.state.n === 150) throw new TypeError('gave up at bar ' + ctx.state.n);
    if (ctx.state.n % 40 === 0) ctx.buy('10');
  },
});
`;

/**
 * EMA, RSI, MACD and ATR with a short history: orders on a hash of every bit of their values,
 * the values kept in the state. Any difference in any indicator shows in the orders and snapshot.
 */
const RECURSIVE = `import { atr, defineStrategy, ema, macd, param, rsi } from 'kairos/sdk';
export default defineStrategy({
  name: 'recursive',
  history: 5,
  params: { size: param.decimal('100', { min: '0' }) },
  indicators: () => ({ ema: ema(5), rsi: rsi(6), macd: macd({ fast: 3, slow: 7, signal: 4 }), atr: atr(5) }),
  init: () => ({ seen: [] }),
  onBar(ctx) {
    const { ema, rsi, macd, atr } = ctx.indicators;
    if (ema.value === null || rsi.value === null || macd.value === null || atr.value === null) return;
    const values = [ema.value, rsi.value, macd.value.macd, macd.value.signal, macd.value.histogram, atr.value];
    ctx.state.seen = values;
    let h = 0;
    for (const w of new Uint32Array(new Float64Array(values).buffer)) h = (Math.imul(h, 31) + w) >>> 0;
    const p = ctx.position();
    if (p.isFlat && (rsi.value < 30 || h % 13 === 0)) ctx.buy(ctx.params.size);
    else if (p.isLong && (rsi.value > 70 || h % 11 === 0)) ctx.sell(p.quantity);
  },
});
`;

function bars(n: number): Bar[] {
  const rows = JSON.parse(
    readFileSync(path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'), 'utf8'),
  ) as number[][];
  return rows.slice(0, n).map(([t, o, h, l, c, v]) => ({
    instrumentId: INST.id,
    openTime: t!,
    closeTime: t! + 60_000,
    open: o!,
    high: h!,
    low: l!,
    close: c!,
    volume: v!,
  }));
}

const outcome = (o: Order) => ({
  id: o.clientOrderId,
  side: o.side,
  type: o.type,
  price: o.price?.toFixed() ?? null,
  quantity: o.quantity.toFixed(),
  status: o.status,
  filled: o.filledQuantity.toFixed(),
  at: o.createdAt,
});
const fillOf = (f: Fill) => [f.clientOrderId, f.price.toFixed(), f.quantity.toFixed(), f.ts];

/**
 * One local endpoint for the file, the four strategies loaded and deployed once: both blocks run
 * sma-cross and the recursive one (an endpoint's start, two builds and deploys, and the sandbox's
 * import of each version fewer than with an endpoint a block).
 */
let lambda: LocalLambda;
let client: ReturnType<typeof lambdaClient>;
const files: Record<string, string> = {};
const defs: Record<string, AnyStrategy> = {};

beforeAll(async () => {
  // Canaries where a careless host or endpoint would find credentials (set before the endpoint
  // starts: it must not hand them to a function whatever its process held from its start).
  process.env.AWS_SECRET_ACCESS_KEY = CANARY;
  process.env.EXCHANGE_SECRET = CANARY;
  lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'work') });
  client = lambdaClient({ region: 'us-east-1', endpoint: lambda.url });
  files.sma = path.join(ROOT, 'examples/strategies/sma-cross.ts');
  files.limits = path.join(dir, 'cross-limits.ts');
  files.throws = path.join(dir, 'throws-late.ts');
  files.recursive = path.join(dir, 'recursive.ts');
  writeFileSync(files.limits, LIMITS);
  writeFileSync(files.throws, THROWS);
  writeFileSync(files.recursive, RECURSIVE);
  for (const [name, file] of Object.entries(files)) {
    defs[name] = await loadStrategy(file, path.join(dir, 'build'));
    const pkg = await packageStrategy(file, path.join(dir, 'build'));
    await deployFunction(client, { name, zip: pkg.zip, role: ROLE, timeoutS: 5 });
  }
}, 120_000);

afterAll(async () => {
  delete process.env.AWS_SECRET_ACCESS_KEY;
  delete process.env.EXCHANGE_SECRET;
  client.destroy();
  await lambda.close();
});

describe('a strategy as a Lambda function behind the seam', () => {
  // 200 one-minute bars: 38 orders for sma-cross, 14 for the recursive one; about 320
  // invocations a run, each ~2-3 ms of this worker's CPU (the SDK, HTTP, the sandbox).
  const feed = bars(200);

  /**
   * The Postgres schemas the runs write, made as needed: the n-th run of each strategy writes
   * the n-th, on an account of that strategy's own, so no two runs in a schema share an account
   * or a client order id (each repository reads its own account's rows). Five schemas for the
   * twelve runs: a schema costs ~0.25 s of CPU, Postgres's most of it, to make and drop.
   */
  const schemas: Awaited<ReturnType<typeof freshStore>>[] = [];
  const runs = new Map<string, number>();
  async function storeFor(name: string) {
    const n = runs.get(name) ?? 0;
    runs.set(name, n + 1);
    return (schemas[n] ??= await freshStore('postgres'));
  }

  afterAll(async () => {
    for (const store of schemas) await store.drop();
  });

  /** A paper node on Postgres; the strategy in-process, or behind a LambdaSeam on `fn`. */
  async function paper(
    name: string,
    params: Record<string, unknown>,
    lambdaOptions?: Partial<LambdaSeamOptions> & { fn?: string },
  ) {
    const store = await storeFor(name);
    const accountId = `paper-${name}`;
    const strategy = defs[name]!;
    const alerts: Alert[] = [];
    const payloads: string[] = [];
    const logs: string[] = [];
    let seam: LambdaSeam | null = null;
    const orders = new OrderRepository(store.db, accountId);
    const snapshots = new StrategySnapshotRepository(store.db, accountId);
    const node = new TradingNode({
      instrument: INST,
      strategy,
      params,
      strategyId: strategy.name,
      accountId,
      cash: '10',
      orders,
      snapshots,
      ownsTime: true,
      returnFailures: true,
      onAlert: (a) => alerts.push(a),
      onLog: (m) => logs.push(m),
      ...(lambdaOptions
        ? {
            strategySeam: (host) =>
              (seam = new LambdaSeam(host, {
                params: resolveParams(strategy.params, params),
                invoke: (p) => invokeFunction(client, lambdaOptions.fn ?? name, 'live', p),
                onPayload: (p) => payloads.push(p),
                backoffMs: 1,
                ...lambdaOptions,
              })),
          }
        : {}),
      venue: (deliver) => simVenue(INST, deliver),
    });
    const result = await node.run(batches<MarketEvent>(feed, 100));
    return {
      result,
      alerts,
      payloads,
      logs,
      seam: seam as LambdaSeam | null,
      orders: (await orders.ordersSince(Number.MIN_SAFE_INTEGER)).map(outcome),
      fills: (await orders.fills()).map(fillOf),
      snapshot: withoutStorePlace(await snapshots.latest(strategy.name)),
    };
  }

  /**
   * A snapshot as the strategy left it: without its place among the stored events
   * (`eventsThrough`, the schema's event sequence), which the other runs sharing this schema move.
   */
  function withoutStorePlace<T extends { eventsThrough?: unknown }>(s: T | null) {
    if (s === null) return null;
    const { eventsThrough: _, ...rest } = s;
    return rest;
  }

  // The in-process runs that several tests compare with, each made once.
  let smaLocal: Awaited<ReturnType<typeof paper>> | undefined;
  let recursiveLocal: Awaited<ReturnType<typeof paper>> | undefined;
  it('sma-cross makes exactly the orders, fills and snapshots of the in-process node', async () => {
    const local = (smaLocal = await paper('sma', SMA_PARAMS));
    const remote = await paper('sma', SMA_PARAMS, {});
    expect(local.result.failure).toBeNull();
    expect(remote.result.failure).toBeNull();
    expect(local.orders.length).toBeGreaterThan(6);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
    expect(remote.snapshot).toEqual(local.snapshot);
    expect(remote.result.cash.toFixed()).toBe(local.result.cash.toFixed());
    expect(remote.alerts).toEqual([]);
  }, 120_000);

  it('EMA, RSI, MACD and ATR come back bit for bit: the same orders, fills and snapshots', async () => {
    const local = (recursiveLocal ??= await paper('recursive', {}));
    const remote = await paper('recursive', {}, {});
    expect(local.result.failure).toBeNull();
    expect(local.orders.length).toBeGreaterThan(10);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
    expect(remote.snapshot).toEqual(local.snapshot);
    expect(remote.alerts).toEqual([]);
  }, 120_000);

  it('after a failed step the indicators take the bars they missed: still the same orders', async () => {
    const local = (recursiveLocal ??= await paper('recursive', {}));
    const ordered = new Set(local.orders.map((o) => o.at));
    // Two bars in a row whose steps fail, where the in-process run made no order.
    const k = feed.findIndex(
      (b, i) => i > 100 && !ordered.has(b.closeTime) && !ordered.has(feed[i + 1]!.closeTime),
    );
    const remote = await paper(
      'recursive',
      {},
      {
        invoke: async (p) => {
          const bar = (JSON.parse(p) as { request: { bar?: Bar } }).request.bar;
          if (
            bar &&
            (bar.closeTime === feed[k]!.closeTime || bar.closeTime === feed[k + 1]!.closeTime)
          )
            throw new KairosError(
              'LAMBDA_TIMEOUT',
              'lambda: invoke recursive:live: Sandbox.Timedout',
            );
          return invokeFunction(client, 'recursive', 'live', p);
        },
      },
    );
    expect(remote.alerts.map((a) => a.code)).toEqual(['LAMBDA_STEP_FAILED', 'LAMBDA_STEP_FAILED']);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
    expect(remote.snapshot).toEqual(local.snapshot);
  }, 120_000);

  it('a strategy with limits, cancels and order events too; no payload or function env holds a credential', async () => {
    const local = await paper('limits', {});
    const remote = await paper('limits', {}, {});
    expect(local.orders.some((o) => o.status === 'CANCELED')).toBe(true);
    expect(local.fills.length).toBeGreaterThan(4);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
    expect(remote.snapshot).toEqual(local.snapshot);
    expect(remote.logs.filter((l) => l.startsWith('filled'))).toEqual(
      local.logs.filter((l) => l.startsWith('filled')),
    );
    // The canaries are in this process's environment (the in-process strategy sees them)...
    expect(local.logs.join('\n')).toContain(CANARY);
    // ...but not in any payload, nor in the function's environment.
    expect(remote.payloads.length).toBeGreaterThan(feed.length);
    for (const p of remote.payloads) expect(p).not.toContain(CANARY);
    const env = remote.logs.find((l) => l.startsWith('env '))!;
    expect(env).not.toContain(CANARY);
    expect(JSON.parse(env.slice(4))).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: 'limits',
      AWS_LAMBDA_FUNCTION_VERSION: '1',
    });
  }, 120_000);

  it('a failed step makes no orders and alerts; three in a row HALT the strategy alone', async () => {
    const local = (smaLocal ??= await paper('sma', SMA_PARAMS));
    const firstOrderBar = feed.findIndex((b) => b.closeTime >= local.orders[0]!.at);
    // Fail the invocations of the first order's bar: that order is not made; then halt later.
    let invocations = 0;
    let atHalt = -1;
    const failAt = new Set<number>();
    const remote = await paper('sma', SMA_PARAMS, {
      onHalt: () => void (atHalt = invocations),
      invoke: async (p) => {
        invocations++;
        const step = JSON.parse(p) as { request: { kind: string; bar?: Bar } };
        const i = step.request.bar
          ? feed.findIndex((b) => b.closeTime === step.request.bar!.closeTime)
          : -1;
        if (i === firstOrderBar) failAt.add(i);
        if (i === firstOrderBar || i >= 130)
          throw new KairosError('LAMBDA_TIMEOUT', 'lambda: invoke sma:live: Sandbox.Timedout');
        return invokeFunction(client, 'sma', 'live', p);
      },
    });
    expect(failAt.size).toBe(1);
    expect(remote.result.failure).toBeNull();
    const failed = remote.alerts.filter((a) => a.code === 'LAMBDA_STEP_FAILED');
    expect(failed[0]!.message).toMatch(/no orders for this step \(1\/3 failed in a row\)/);
    expect(failed).toHaveLength(4);
    expect(remote.alerts.filter((a) => a.code === 'STRATEGY_HALTED')).toHaveLength(1);
    expect(remote.seam!.halted).toBe(true);
    // Not the first order; none after the halt (bar 132 closes); the rest as in-process.
    expect(remote.orders.map((o) => o.at)).not.toContain(local.orders[0]!.at);
    expect(remote.orders.every((o) => o.at < feed[132]!.closeTime)).toBe(true);
    // After the halt nothing is invoked.
    expect(invocations).toBe(atHalt);
  }, 120_000);

  it('a throttled invocation is tried again with backoff: the same orders, no alert', async () => {
    const local = (smaLocal ??= await paper('sma', SMA_PARAMS));
    let calls = 0;
    let throttled = 0;
    const remote = await paper('sma', SMA_PARAMS, {
      invoke: async (p) => {
        if (++calls % 7 === 0) {
          throttled++;
          throw new KairosError(
            'LAMBDA_THROTTLED',
            'lambda: invoke sma:live: TooManyRequestsException: Rate exceeded',
          );
        }
        return invokeFunction(client, 'sma', 'live', p);
      },
    });
    expect(throttled).toBeGreaterThan(20);
    expect(remote.alerts).toEqual([]);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
  }, 120_000);

  it('an answer that forges a client order id is refused whole: no order from it', async () => {
    const remote = await paper('sma', SMA_PARAMS, {
      haltAfter: 1,
      invoke: async (p) => {
        const text = await invokeFunction(client, 'sma', 'live', p);
        return text.replace(/"clientOrderId":"sma-cross-1"/, '"clientOrderId":"sma-cross-7"');
      },
    });
    expect(remote.result.failure).toBeNull();
    expect(remote.orders).toEqual([]);
    expect(remote.alerts.map((a) => a.code)).toEqual(['LAMBDA_STEP_FAILED', 'STRATEGY_HALTED']);
    expect(remote.alerts[0]!.message).toContain('must use the next client order id sma-cross-1');
  }, 120_000);

  it('a strategy that throws inside the function fails the run as in-process: STRATEGY_FAILED', async () => {
    const local = await paper('throws', {});
    const remote = await paper('throws', {}, {});
    expect(local.result.failure?.code).toBe('STRATEGY_FAILED');
    expect(remote.result.failure).toEqual(local.result.failure);
    expect(remote.result.failure?.message).toContain('gave up at bar 150');
    expect(remote.orders).toEqual(local.orders);
    expect(remote.orders.length).toBe(3);
  }, 120_000);
});

describe('a backtest through the local Lambda endpoint', () => {
  /** The report texts of one backtest in-process and through function `fn`, and the steps. */
  async function both(fn: string, data: string, params: Record<string, string>) {
    const { runBacktest, reportText } = await import('../../../src/system/run-backtest.js');
    const strategy = defs[fn]!;
    const input = {
      data,
      strategy: async () => strategy,
      params,
      settings: {
        cash: '100000',
        lot: '1',
        minNotional: '0',
        makerFee: '0.001',
        takerFee: '0.001',
        slippageBps: 0,
        latencyMs: 0,
        seed: 1,
        barIntervalMs: 60_000,
        allowShort: false,
        from: Date.UTC(1999, 0, 1),
        to: Date.UTC(2001, 0, 1),
      },
    };
    const local = await runBacktest(input);
    let steps = 0;
    const remote = await runBacktest({
      ...input,
      strategySeam: (host) =>
        new LambdaSeam(host, {
          params: resolveParams(strategy.params, params),
          invoke: (p) => (steps++, invokeFunction(client, fn, 'live', p)),
        }),
    });
    return {
      orders: local.run.orders.length,
      steps,
      local: reportText(local.report),
      remote: reportText(remote.report),
    };
  }

  it('writes a report.json byte-identical to the in-process one (sma-cross on ORCL)', async () => {
    const data = path.join(DATA, 'backtrader/orcl-1995-2014.txt');
    const r = await both('sma', data, { fast: '10', slow: '30', size: '100' });
    expect(r.orders).toBeGreaterThan(10);
    expect(r.steps).toBeGreaterThan(500);
    expect(r.remote).toBe(r.local);
  }, 120_000);

  it('and with EMA, RSI, MACD and ATR (on NVDA)', async () => {
    const data = path.join(DATA, 'backtrader/nvda-1999-2014.txt');
    const r = await both('recursive', data, { size: '100' });
    expect(r.orders).toBeGreaterThan(20);
    expect(r.steps).toBeGreaterThan(400);
    expect(r.remote).toBe(r.local);
  }, 120_000);
});
