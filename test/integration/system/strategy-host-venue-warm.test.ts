import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { ServerVenues } from '../../../src/system/server-venues.js';
import type { LogFields, Logger } from '../../../src/trading/core/logger.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Instrument } from '../../../src/trading/model/instrument.js';
import type { StrategySnapshotStore } from '../../../src/trading/live/strategy-snapshot-store.js';
import { MINUTE, startLiveSim, startSim, syntheticBars } from '../../support/ccxt-sim.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { openLiveAccount } from '../../support/live-account.js';
import { addUser } from '../../support/strategy-catalog.js';
import { dropTestSchema } from '../../support/postgres.js';
import { freshStore, migratedSchema } from '../../support/stores.js';
import {
  bootStrategyHost,
  EMA_TRACE,
  heldSave,
  orderOutcome,
} from '../../support/strategy-host-rig.js';
import { until } from '../../support/until.js';
import { tempDir } from '../../support/temp-dir.js';

const by = { actor: 'user:q', role: 'quant' };
const SYMBOL = 'BTC/USDT';
/**
 * Bars of the venue's market, all closed by now (the venue's REST says which are closed). Every
 * run plays them through a core, the host and a snapshot commit (most of the file's CPU), so no
 * more than the restart points below need: 120 (the EMA has a value from bar 12).
 */
const N = 120;
const DATA = syntheticBars(N, 7, Math.floor(Date.now() / MINUTE) * MINUTE - (N + 5) * MINUTE);

/** The Binance simulator with `revealed` bars closed, and the server's venues on it (real ccxt). */
async function venueAt(revealed: number): Promise<{ sim: BinanceSim; venues: ServerVenues }> {
  const sim = await startSim({ data: DATA, preloadBars: revealed });
  const venues = await ServerVenues.open([{ id: 'binance', url: sim.url }], {
    alert: () => undefined,
    log: () => undefined,
  });
  return { sim, venues };
}

/** Log lines, as written. */
function memoryLogger(lines: { level: string; message: string; fields: LogFields }[]): Logger {
  const at =
    (level: string, base: LogFields) =>
    (message: string, fields: LogFields = {}) =>
      void lines.push({ level, message, fields: { ...base, ...fields } });
  const make = (base: LogFields): Logger => ({
    debug: at('debug', base),
    info: at('info', base),
    warn: at('warn', base),
    error: at('error', base),
    child: (f) => make({ ...base, ...f }),
    enabled: () => true,
  });
  return make({});
}

/**
 * DESIGN invariant 11 on a venue's market: the bars an instance heard before a restart never come
 * again there, so a resumed instance warms its indicators and bar history on the venue's closed
 * bars (`ServerVenues.recentBars`, ccxt's binance against the simulator) before it hears one.
 */
describe('strategy host: an instance resumed on a venue’s market warms on the venue’s bars', () => {
  let dir: string;
  let bars: Bar[];
  let inst: Instrument;
  /**
   * One store for every run of this block, each run on an account of its own (its name): orders,
   * fills, snapshots and instances are keyed by account, as on a server's one store (a store's
   * start is ~0.7 s of CPU; this block made seven). A Postgres schema, not PGlite: the runs
   * commit some 650 bars' snapshots, each a few statements that PGlite's WebAssembly ran in this
   * worker at several times native Postgres's CPU (the store is not what the block tests).
   */
  let on: Awaited<ReturnType<typeof freshStore>>;
  let user: Awaited<ReturnType<typeof addUser>>;

  beforeAll(async () => {
    dir = tempDir('kairos-host-warm-');
    on = await freshStore('postgres');
    user = await addUser(on.db, 'quinn', 'quant');
    // An EMA (every bar it ever took counts) and the bar history: a resumed strategy whose
    // indicators start empty, or take a bar twice, trades elsewhere and traces other values.
    const strategies = path.join(dir, 'strategies');
    mkdirSync(strategies, { recursive: true });
    writeFileSync(path.join(strategies, 'ema-trace.ts'), EMA_TRACE);
    // The bars as the venue tells them (what its feed would play).
    const { sim, venues } = await venueAt(N - 1);
    try {
      bars = await venues.recentBars('binance', SYMBOL, N - 1);
      inst = venues.instrument('binance', SYMBOL);
    } finally {
      await venues.close();
      await sim.close();
    }
    expect(bars.length).toBe(N - 1);
  }, 60_000);
  afterAll(async () => {
    await on?.drop();
  });

  /** What `kairos serve` builds for an account on a venue: its core, and the host beside it. */
  const boot = (
    name: string,
    venueBars?: (limit: number) => Promise<readonly Bar[]>,
    extra: {
      logger?: Logger;
      onAlert?: (a: Alert) => void;
      warmWaitMs?: number;
      snapshots?: StrategySnapshotStore;
    } = {},
  ) =>
    bootStrategyHost({
      store: on,
      dir,
      venue: name,
      accountId: name,
      instrument: inst,
      cash: { USDT: '1000000' },
      host: {
        ...(venueBars
          ? { venueBars: (_a: string, _i: string, limit: number) => venueBars(limit) }
          : {}),
        ...extra,
      },
    });

  interface Outcome {
    readonly orders: string[];
    /** Per bar heard: its close, the EMA, the history's length and first close. */
    readonly trace: (number | null)[][];
    readonly state: string;
  }

  /**
   * A run started at the venue's first bar; with `restartAt`, the server stops after that many
   * bars and starts again when the venue has `restartAt + outage` closed (the ones between: the
   * outage), its feed going on from there.
   */
  async function run(name: string, restartAt: number | null, outage = 0): Promise<Outcome> {
    const first = await boot(name);
    const s = await first.host.start(user, { name: 'ema-trace', accountId: name }, by);
    await first.play(restartAt === null ? bars : bars.slice(0, restartAt));
    first.host.halt();
    if (restartAt !== null) {
      const { sim, venues } = await venueAt(restartAt + outage);
      try {
        const second = await boot(name, (limit) => venues.recentBars('binance', SYMBOL, limit));
        // The instances running on its account (the store's other runs are on theirs).
        expect(await second.host.resume(name)).toBe(1);
        // A venue's feed may tell its last bar again on (re)subscribing: taken once.
        await second.play(bars.slice(restartAt + outage - 1));
        second.host.halt();
      } finally {
        await venues.close();
        await sim.close();
      }
    }
    const { orders } = await new OrderRepository(on.db, name).page(s.id, { limit: 500 });
    const { state } = (await new StrategySnapshotRepository(on.db, name).latest(s.id))!;
    const flat = (state as { trace: (number | null)[] }).trace;
    const trace: (number | null)[][] = [];
    for (let i = 0; i < flat.length; i += 4) trace.push(flat.slice(i, i + 4));
    return { orders: orders.map(orderOutcome).sort(), trace, state: JSON.stringify(state) };
  }

  /**
   * Killed in the save of bar `at`'s snapshot (its orders made and sent, its state not saved); the
   * server starts again once the venue has closed that bar, and its feed goes on from it (telling
   * it again first, as a feed may on subscribing).
   */
  async function killedInSave(name: string, at: number, cold = false): Promise<Outcome> {
    const saved = new StrategySnapshotRepository(on.db, name);
    const { snapshots, inSave } = heldSave(saved, bars[at]!.closeTime);
    const first = await boot(name, undefined, { snapshots });
    const s = await first.host.start(user, { name: 'ema-trace', accountId: name }, by);
    await first.play(bars.slice(0, at));
    first.core.onBar(bars[at]!);
    void first.host.onBar(bars[at]!);
    await inSave;
    await first.core.settle();
    await first.core.journal.committed();
    first.host.halt();
    const { sim, venues } = await venueAt(at + 1);
    try {
      // `cold`: the venue's bars do not come (it resumes cold, as after a 429).
      const second = await boot(
        name,
        cold
          ? () => Promise.reject(new Error('429 Too Many Requests'))
          : (limit) => venues.recentBars('binance', SYMBOL, limit),
      );
      expect(await second.host.resume(name)).toBe(1);
      await second.play(bars.slice(at));
      second.host.halt();
    } finally {
      await venues.close();
      await sim.close();
    }
    const { orders } = await new OrderRepository(on.db, name).page(s.id, { limit: 500 });
    const { state } = (await saved.latest(s.id))!;
    const flat = (state as { trace: (number | null)[] }).trace;
    const trace: (number | null)[][] = [];
    for (let i = 0; i < flat.length; i += 4) trace.push(flat.slice(i, i + 4));
    return { orders: orders.map(orderOutcome).sort(), trace, state: JSON.stringify(state) };
  }

  // The run never stopped, made once for the two tests that compare with it (the venue's name is
  // the paper venue's file, nothing the outcome shows: the restarted runs have their own).
  let neverRun: Promise<Outcome> | undefined;
  const neverStopped = () => (neverRun ??= run('never-stopped', null));

  it('a restart at any bar, the venue’s feed going on from there: the orders and state of the run never stopped', async () => {
    const never = await neverStopped();
    expect(never.orders.length).toBeGreaterThan(3);
    expect(never.trace.length).toBe(bars.length);
    // Before the average has a value, soon after, in the middle, near the end.
    for (const at of [5, 20, 100]) {
      const restarted = await run(`restarted-${at}`, at);
      expect([at, restarted]).toEqual([at, never]);
    }
  }, 120_000);

  it("killed after a bar's orders were sent, before its snapshot: that bar is not decided again, and its next orders take new ids", async () => {
    const never = await neverStopped();
    // The bars the run never stopped made an order on (each made at its bar's close).
    const made = await on.db
      .selectFrom('orders')
      .select('created_at')
      .where('account_id', '=', 'never-stopped')
      .execute();
    const decided = made
      .map((o) => bars.findIndex((b) => b.closeTime === Number(o.created_at)))
      .sort((a, b) => a - b);
    expect(decided.length).toBeGreaterThan(3);
    expect(decided).not.toContain(-1);
    const quiet = bars.findIndex((_, i) => i > decided[0]! && !decided.includes(i));
    // Its first order's bar, one in the middle, and a bar that made none.
    for (const at of [decided[0]!, decided[Math.floor(decided.length / 2)]!, quiet]) {
      const killed = await killedInSave(`killed-in-save-${at}`, at);
      // The orders of the run never stopped, each once: none made twice for the bar it was
      // killed in, none lost under an id that bar had used.
      expect([at, killed.orders]).toEqual([at, never.orders]);
      // Every bar heard as that run heard it, but the one it was killed in (decided, never saved).
      const died = bars[at]!.closeTime;
      expect([at, killed.trace]).toEqual([at, never.trace.filter((row) => row[0] !== died)]);
    }
    // Resumed cold, the feed telling the bar it was killed in again: still not decided again.
    const at = decided[0]!;
    const cold = await killedInSave(`killed-in-save-cold`, at, true);
    const once = await on.db
      .selectFrom('orders')
      .select('client_order_id')
      .where('account_id', '=', 'killed-in-save-cold')
      .where('created_at', '=', String(bars[at]!.closeTime) as never)
      .execute();
    expect(once).toHaveLength(1);
    expect(cold.trace.some((row) => row[0] === bars[at]!.closeTime)).toBe(false);
  }, 120_000);

  it('bars closed while it was down warm it too, and no order is made for them', async () => {
    const never = await neverStopped();
    const [at, outage] = [60, 30];
    const down = await run('outage', at, outage);
    const heard = (t: (number | null)[][]) => new Set(t.map((row) => row[0]));
    // It heard every bar but the outage's: the indicators and history of the run never stopped.
    const missed = bars.slice(at, at + outage).map((b) => b.closeTime);
    expect(down.trace).toEqual(never.trace.filter((row) => !missed.includes(row[0]!)));
    expect(missed.some((t) => heard(down.trace).has(t))).toBe(false);
    expect(heard(down.trace).size).toBe(bars.length - outage);
  }, 120_000);

  it('a venue that does not answer, or fails: it resumes cold after the wait, with a warning and an alert', async () => {
    for (const [name, venueBars] of [
      ['hangs', () => new Promise<readonly Bar[]>(() => undefined)],
      ['fails', () => Promise.reject(new Error('429 Too Many Requests'))],
    ] as const) {
      const account = `cold-${name}`;
      const first = await boot(account);
      const s = await first.host.start(user, { name: 'ema-trace', accountId: account }, by);
      await first.play(bars.slice(0, 30));
      first.host.halt();
      const lines: { level: string; message: string; fields: LogFields }[] = [];
      const alerts: Alert[] = [];
      const second = await boot(account, venueBars, {
        logger: memoryLogger(lines),
        onAlert: (a) => alerts.push(a),
        warmWaitMs: 200,
      });
      // The start-up does not wait for the venue.
      expect(await second.host.resume(account)).toBe(1);
      await second.play(bars.slice(30, 31));
      const view = await second.host.state(user, s.id);
      expect(view).toMatchObject({ status: 'running', lastBarAt: bars[30]!.closeTime });
      // Cold: the EMA and the history start again at the first bar heard.
      const trace = (view!.state as { trace: (number | null)[] }).trace;
      expect(trace.slice(-4)).toEqual([bars[30]!.closeTime, null, 1, bars[30]!.closeTime]);
      await until(() => alerts.length === 1, 5_000, 'the alert');
      expect(alerts[0]).toMatchObject({
        code: 'STRATEGY_NOT_WARMED',
        message: expect.stringContaining(s.id),
      });
      expect(
        lines.filter((l) => l.level === 'warn' && l.message.includes('not warmed')),
      ).toHaveLength(1);
      second.host.halt();
    }
  }, 60_000);
});

/**
 * `kairos serve`'s wiring: an instance on a live account (its venue's bars, the simulator replaying
 * by itself) resumed at a restart warms on the venue's closed bars before its first bar.
 */
describe('kairos serve: a strategy on a live account, restarted, hears its first bar warm', () => {
  let sim: BinanceSim;
  let t: TestServer;
  /** The server running now (the test restarts it). */
  let server: TestServer['server'] | undefined;
  /** The server's store, a Postgres schema (as the block above, for its CPU). */
  const schema = `kairos_warm_${process.pid}_${Math.floor(Math.random() * 1e9)}`;

  beforeAll(async () => {
    await migratedSchema(schema);
    // A bar every 50 ms (twice `startLiveSim`'s pace, with the weight allowance to match): the
    // test waits for 25 of them before the restart.
    sim = await startLiveSim({ realtime: { speed: 1200 }, weightPerMinute: 400_000 });
    // At most 22 bars warm (`KAIROS_WARM_BARS`), fewer than the 25+ it hears before the restart.
    t = await startTestServer({
      postgresSchema: schema,
      venues: [{ id: 'binance', url: sim.url }],
      env: { KAIROS_WARM_BARS: '22' },
    });
    server = t.server;
    mkdirSync(path.join(t.home, 'strategies'), { recursive: true });
    writeFileSync(path.join(t.home, 'strategies', 'ema-trace.ts'), EMA_TRACE);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
    await dropTestSchema(schema);
  });

  it('warms on the venue’s newest bars, as many as KAIROS_WARM_BARS: its first bar after the restart has the EMA and a full history', async () => {
    const call = (method: string, route: string, body?: unknown) =>
      apiCall(server!.url, method, route, {
        token: t.tokens.quant,
        ...(body === undefined ? {} : { body }),
      });
    const { account } = await openLiveAccount(call, { apiKey: sim.apiKey, secret: sim.secret });
    expect([account.status, account.json.venueStatus?.venue]).toEqual([201, 'UP']);
    const started = await call('POST', '/strategies/ema-trace/start', {
      accountId: account.json.id,
    });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    const trace = async () =>
      ((await call('GET', `/strategies/instances/${id}/state`)).json.state?.trace ?? []) as (
        number | null
      )[];
    await until(async () => (await trace()).length >= 4 * 25, 30_000, '25 bars heard');
    server = await t.restart();
    // The instance resumes once its live account's core is up (a lease round after the server
    // listens): until then its view has no state. Not resumed: what it and the server say.
    const before = await until(
      async () => {
        const n = (await trace()).length;
        return n > 0 && n;
      },
      60_000,
      'the instance resumed',
    ).catch(async (e: Error) => {
      const view = (await call('GET', `/strategies/instances/${id}/state`)).json;
      const said = t.logs.filter((l) => /strateg|account|lease|venue|error|warn/i.test(l));
      throw new Error(
        `${e.message}; its view: ${JSON.stringify(view).slice(0, 800)}; the server said:\n${said.slice(-40).join('\n')}`,
      );
    });
    expect(before).toBeGreaterThanOrEqual(4 * 25);
    // The first bar heard after the restart: the EMA has a value, the history holds 20 bars.
    const after = await until(
      async () => {
        const now = await trace();
        return now.length > before && now;
      },
      30_000,
      'a bar heard after the restart',
    );
    const [, ema, history] = after.slice(before, before + 4);
    expect(ema).not.toBeNull();
    expect(history).toBe(20);
    const warmed = t.logs.filter((l) => l.includes('strategy warmed on its venue’s bars'));
    expect(warmed).toHaveLength(1);
    expect(JSON.parse(warmed[0]!)).toMatchObject({ strategyId: id });
    // The newest 22 closed bars: the setting's bound, not the strategy's 500.
    expect(JSON.parse(warmed[0]!).bars).toBe(22);
    expect((await call('POST', `/strategies/instances/${id}/stop`)).status).toBe(200);
  }, 150_000);

  it("restarted while its live account's venue does not answer: the instance stays running, and resumes once the account's core opens", async () => {
    const call = (method: string, route: string, body?: unknown) =>
      apiCall(server!.url, method, route, {
        token: t.tokens.quant,
        ...(body === undefined ? {} : { body }),
      });
    // Its own key and account (the block's first test stored the key once, labelled `sim`).
    const { account } = await openLiveAccount(call, sim, 'outage', 'outage');
    expect([account.status, account.json.venueStatus?.venue]).toEqual([201, 'UP']);
    const live = account.json.id as string;
    const started = await call('POST', '/strategies/ema-trace/start', { accountId: live });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    const view = async () => (await call('GET', `/strategies/instances/${id}/state`)).json;
    await until(async () => view().then((v) => v.state?.trace?.length ?? 0), 30_000, 'a bar heard');
    // The venue refuses the account's reads from before the restart until the fault is cleared:
    // its core cannot be recovered, so it does not open (DOWN, retried).
    sim.faults.set({
      rateLimit: { after: 0, tooMany: Number.MAX_SAFE_INTEGER, banMs: 0, readsOnly: true },
    });
    // `restart` starts again from the first server only: a later start closes the last itself.
    await server!.close();
    server = await t.another();
    await until(() => server!.ownership.owns(live), 30_000, 'the account held again');
    expect((await call('GET', `/accounts/${live}`)).json.venueStatus?.venue).toBe('DOWN');
    // Not failed for want of its account's core: still running in the store, not heard yet.
    expect(await view()).toMatchObject({ status: 'running', error: null, state: null });
    sim.faults.set({ rateLimit: null });
    const resumed = await until(
      async () => {
        const v = await view();
        return v.state?.trace?.length > 0 && v;
      },
      60_000,
      'the instance resumed once its account opened',
    );
    expect(resumed).toMatchObject({ status: 'running', error: null });
  }, 150_000);
});
