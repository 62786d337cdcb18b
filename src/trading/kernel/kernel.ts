import { MessageBus } from '../bus/message-bus.js';
import { Endpoints, Topics } from '../bus/topics.js';
import type { Clock } from '../clock/clock.js';
import { toDecimal, type DecimalInput } from '../core/decimal.js';
import { InvariantError, KairosError } from '../core/errors.js';
import { DataEngine } from '../data/data-engine.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { ExecutionClient } from '../execution/execution-client.js';
import { ExecutionEngine } from '../execution/execution-engine.js';
import { CLOSED_ORDER_RETENTION_MS, retentionMs } from '../execution/order-retention.js';
import type { OrderStore } from '../execution/order-store.js';
import type { Alert } from '../model/alert.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderEvent } from '../model/order-events.js';
import type { Order } from '../model/order.js';
import type { PositionChanged } from '../model/position-changed.js';
import { DayPnl } from '../portfolio/day-pnl.js';
import { Ledger } from '../portfolio/ledger.js';
import { RiskEngine } from '../risk/risk-engine.js';
import { NO_LIMITS, type LimitSet } from '../risk/risk-limits.js';
import type { TradingState } from '../risk/trading-state.js';
import type { StrategyServices } from '../strategy/strategy-runner.js';
import { OrderJournal } from '../live/order-journal.js';
import { WriteAheadClient, type Failpoint } from '../live/write-ahead-client.js';

/** A clock the kernel can move (a `SimClock`); a `LiveClock` moves by itself. */
type KernelClock = Clock & { advanceTo?(to: number): void };

/** How a venue reports back: through the bus, to the execution engine; and the OMS's view of an order. */
export interface VenuePorts {
  /** Sends a venue report (an order event) to `ExecutionEngine.process` on the bus. */
  report(event: OrderEvent): void;
  /** The OMS's view of an order (venues screen out reports its state cannot take). */
  order(clientOrderId: string): Order | undefined;
}

/** A venue the kernel trades on: an execution client that may also see the market data. */
export type KernelVenue = ExecutionClient & {
  onBar?(bar: Bar): void;
  onTrade?(tick: TradeTick): void;
};

/** Stored limits and trading states, as the risk officer set them. */
export interface RiskSettings {
  readonly limits: LimitSet;
  readonly states: {
    readonly global: TradingState;
    readonly strategies: Readonly<Record<string, TradingState>>;
  };
}

/** What a kernel is built from: the mode's clock and venue, and the account's starting point. */
export interface KernelConfig<V extends KernelVenue> {
  /**
   * The account this kernel trades: one kernel is one account's execution core (its cash,
   * positions, orders and venue connection). Every order it makes carries it, and a fill of
   * another account is refused.
   */
  readonly accountId: string;
  /** `SimClock` for backtests and replays, `LiveClock` (or a venue's clock) for a live feed. */
  readonly clock: KernelClock;
  readonly instruments: readonly Instrument[];
  /** Starting cash per currency. */
  readonly cash: Readonly<Record<string, DecimalInput>>;
  /** Builds the venue; it reports through `ports.report`. */
  readonly venue: (ports: VenuePorts) => V;
  /**
   * Where order events are journaled (paper, live, the server): each is committed before any
   * venue call that depends on it (write before send). Absent: orders live in memory (backtest).
   */
  readonly orders?: OrderStore;
  readonly allowShort?: boolean;
  /** Whether stored limits apply (the risk officer's); a backtest has none. */
  readonly limits?: boolean;
  readonly onAlert?: (alert: Alert) => void;
  /** Fault tests only: called between commit and send, and between send and the stored answer. */
  readonly failpoint?: (at: Failpoint) => void;
  /** The venue's order-rate window of the account, asked by the risk gate (`RiskSettings`). */
  readonly venueOrderRate?: (clientOrderId: string) => string | null;
  /**
   * The OMS releases an order closed this many ms of the clock (a node that runs for weeks);
   * absent: it keeps every order (a backtest's report reads them all).
   */
  readonly closedOrderRetentionMs?: number;
  /**
   * How long after it closed a strategy still reads an order (`ctx.order`), in ms of the clock:
   * the same window in every mode, so a strategy decides the same in a backtest (whose OMS keeps
   * every order for the report) as in paper and live (whose OMS releases it after
   * `closedOrderRetentionMs`). Default: `closedOrderRetentionMs`, else
   * `CLOSED_ORDER_RETENTION_MS` (10 minutes).
   */
  readonly strategyOrderWindowMs?: number;
  /** Reports of orders the OMS does not hold (`ExecutionEngineOptions.unheld`). */
  readonly unheld?: (event: OrderEvent) => void;
  /**
   * The ledger keeps every closed round trip (`Ledger.roundTrips`): a backtest, whose report lists
   * them. Absent: it keeps none (paper and live: memory bounded by what is open).
   */
  readonly keepRoundTrips?: boolean;
}

/**
 * The strategies' window over closed orders: never longer than the OMS keeps them (a strategy
 * would then read an order in a backtest that paper and live have released).
 */
function strategyOrderWindow(cfg: KernelConfig<KernelVenue>): number {
  const keep = cfg.closedOrderRetentionMs;
  const ms = retentionMs(
    cfg.strategyOrderWindowMs ?? keep ?? CLOSED_ORDER_RETENTION_MS,
    'strategyOrderWindowMs',
  );
  if (keep !== undefined && ms > keep)
    throw new KairosError(
      'CONFIG_INVALID',
      `strategyOrderWindowMs: must be at most closedOrderRetentionMs (${keep}), was ${ms}`,
    );
  return ms;
}

/**
 * The one place the engines are wired, for every mode: the message bus, the mode's clock, the
 * data engine, the ledger, the risk gate (with the day's PnL for the daily loss limit), the
 * execution engine and, when orders are persisted, the order journal with the write-ahead
 * client in front of the venue. Venues report through the bus; strategies get their services
 * from `strategyServices`. Backtest, paper, live and the server's desk all stand on it.
 *
 * @example
 * const kernel = new Kernel({ clock: new SimClock(0), instruments: [inst], cash: { USD: '1000' },
 *   venue: (ports) => new SimulatedExchange(options, ports.report) });
 * kernel.onBar(bar);
 */
export class Kernel<V extends KernelVenue = KernelVenue> {
  readonly bus = new MessageBus();
  readonly accountId: string;
  readonly clock: KernelClock;
  readonly data: DataEngine;
  readonly ledger: Ledger;
  readonly exec: ExecutionEngine;
  readonly risk: RiskEngine;
  readonly venue: V;
  /** Null when orders are not persisted (a backtest). */
  readonly journal: OrderJournal | null;
  readonly #client: WriteAheadClient | null;
  readonly #instruments: Map<string, Instrument>;
  /** The day's PnL, for the daily loss limit: observed only when limits apply (none read it else). */
  readonly #dayPnl: DayPnl;
  #limits: LimitSet = NO_LIMITS;
  readonly #applied = new Map<string, TradingState>([['', 'ACTIVE']]);
  /** How long strategies read a closed order (`KernelConfig.strategyOrderWindowMs`). */
  readonly #orderWindowMs: number;

  constructor(private readonly cfg: KernelConfig<V>) {
    const bus = this.bus;
    this.accountId = cfg.accountId;
    this.clock = cfg.clock;
    this.#orderWindowMs = strategyOrderWindow(cfg);
    this.#instruments = new Map(cfg.instruments.map((i) => [i.id, i]));
    this.data = new DataEngine(bus);
    const cash: Record<string, ReturnType<typeof toDecimal>> = {};
    for (const [c, v] of Object.entries(cfg.cash)) cash[c] = toDecimal(v);
    this.ledger = new Ledger(cash, { keepRoundTrips: cfg.keepRoundTrips ?? false });
    const holder: { exec?: ExecutionEngine } = {};
    this.venue = cfg.venue({
      report: (e) => bus.send(Endpoints.executionReports, e),
      order: (id) => holder.exec?.order(id),
    });
    // The journal subscribes first: an event is on its way to the store before anyone acts on it.
    this.journal = cfg.orders
      ? new OrderJournal(bus, cfg.orders, (id) => this.exec.order(id))
      : null;
    this.#client = this.journal
      ? new WriteAheadClient(
          this.venue,
          this.journal,
          (id, why) =>
            cfg.onAlert?.({
              kind: 'Alert',
              code: 'ORDER_NOT_SENT',
              message: `${id}: ${(why as Error).message}`,
              ts: this.clock.now(),
            }),
          cfg.failpoint,
        )
      : null;
    const client: ExecutionClient = this.#client ?? this.venue;
    const clock = this.clock;
    this.exec = holder.exec = new ExecutionEngine(bus, () => client, {
      ...(cfg.closedOrderRetentionMs !== undefined
        ? { retention: { ms: cfg.closedOrderRetentionMs, now: () => clock.now() } }
        : {}),
      ...(cfg.unheld ? { unheld: cfg.unheld } : {}),
    });
    // The ledger books a fill before anyone else hears of it: a strategy sees it booked.
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
      if (e.kind !== 'OrderFilled') return;
      if (e.fill.accountId !== this.accountId)
        throw new InvariantError(
          'ACCOUNT_MISMATCH',
          `fill ${e.fill.venue} ${e.fill.tradeId} of account "${e.fill.accountId}" reached account "${this.accountId}"`,
        );
      const id = e.fill.instrumentId;
      this.ledger.applyFill(e.fill, this.instrumentOf(id), e.strategyId);
      const topic = Topics.positions(e.strategyId);
      // Made only when heard (a backtest has no listener).
      if (!bus.hasSubscribers(topic)) return;
      const changed: PositionChanged = {
        kind: 'PositionChanged',
        accountId: this.accountId,
        strategyId: e.strategyId,
        instrumentId: id,
        quantity: this.ledger.ownPosition(e.strategyId, id).quantity,
        accountQuantity: this.ledger.position(id).quantity,
        ts: e.ts,
      };
      bus.publish(topic, changed);
    });
    if (cfg.onAlert) bus.subscribe<Alert>(Topics.alerts, cfg.onAlert);
    const account = cfg.instruments[0]?.quote ?? '';
    const quoteOf = (id: string) => this.#instruments.get(id)?.quote ?? '';
    this.#dayPnl = new DayPnl(() => this.ledger.equity(account, this.data.marks(), quoteOf));
    const limits = () => this.#limits;
    const dayPnl = this.#dayPnl;
    const venue = this.venue;
    const venueChecks = {
      ...(cfg.venueOrderRate ? { venueOrderRate: cfg.venueOrderRate } : {}),
      // The venue's rule for client order ids, before anything is committed (invariant 4).
      ...(venue.clientIdRefusal
        ? { clientIdRefusal: (id: string) => venue.clientIdRefusal!(id) }
        : {}),
    };
    this.risk = new RiskEngine(
      bus,
      {
        instrument: (id) => this.instrument(id),
        cash: (c) => this.ledger.cash(c),
        position: (id) => this.ledger.position(id),
        open: this.exec.open,
        lastPrice: (id) => this.data.lastPrice(id),
      },
      cfg.limits
        ? {
            allowShort: cfg.allowShort ?? false,
            get limits() {
              return limits();
            },
            dayPnl: () => dayPnl.value(clock.now()),
            ...venueChecks,
          }
        : { allowShort: cfg.allowShort ?? false, ...venueChecks },
    );
    for (const inst of cfg.instruments) this.#observe(inst.id);
  }

  /** The window collar also sees every bar's close and every trade, not only order times. */
  #observe(id: string): void {
    if (!this.cfg.limits) return;
    this.bus.subscribe<Bar>(Topics.bars(id), (b) =>
      this.risk.observePrice(b.instrumentId, this.data.lastPrice(b.instrumentId)!, b.closeTime),
    );
    this.bus.subscribe<TradeTick>(Topics.trades(id), (t) =>
      this.risk.observePrice(t.instrumentId, this.data.lastPrice(t.instrumentId)!, t.ts),
    );
  }

  instrument(id: string): Instrument | undefined {
    return this.#instruments.get(id);
  }

  /**
   * Adds an instrument this account may trade from now on, or replaces its rules (the venue
   * changed its tick, lot or minimums): orders made from now on snap to them; orders already
   * made keep theirs.
   */
  setInstrument(inst: Instrument): void {
    const known = this.#instruments.has(inst.id);
    this.#instruments.set(inst.id, inst);
    if (!known) this.#observe(inst.id);
  }

  /** A reference price of an instrument before its first bar (`DataEngine.seed`). */
  seedPrice(instrumentId: string, price: number): void {
    this.data.seed(instrumentId, price);
  }

  /** A price seen before a restart (a bar or trade only warmed on): the last price, unpublished. */
  warmPrice(instrumentId: string, price: number): void {
    this.data.warm(instrumentId, price);
  }

  /** The ids of the instruments this account trades. */
  instrumentIds(): string[] {
    return [...this.#instruments.keys()];
  }

  /** The instrument of a fill or order; an unknown one is refused. */
  instrumentOf(id: string): Instrument {
    const inst = this.#instruments.get(id);
    if (!inst) throw new KairosError('UNKNOWN_INSTRUMENT', `unknown instrument ${id}`);
    return inst;
  }

  /** Moves a simulated clock forward to `to` (never back); a live clock moves by itself. */
  advanceTo(to: number): void {
    const clock = this.clock;
    if (clock.advanceTo && to > clock.now()) clock.advanceTo(to);
  }

  /**
   * A closed bar: the venue matches it at its open, then (at its close) it is the last price and
   * is published to strategies and recorders.
   */
  onBar(bar: Bar): void {
    this.advanceTo(bar.openTime);
    if (this.cfg.limits) this.#dayPnl.observe(this.clock.now());
    this.venue.onBar?.(bar);
    this.advanceTo(bar.closeTime);
    this.data.onBar(bar);
  }

  /** A public trade: the venue matches it, then it is the last price and is published. */
  onTrade(tick: TradeTick): void {
    this.advanceTo(tick.ts);
    if (this.cfg.limits) this.#dayPnl.observe(this.clock.now());
    this.venue.onTrade?.(tick);
    this.data.onTrade(tick);
  }

  /**
   * The services a strategy runs on, wired to these engines: its position is its own (what its
   * fills made), its cash the account's. `overrides` replace the order look-ups (a replayed bar
   * hides orders until it makes them again).
   */
  strategyServices(
    strategyId: string,
    random: () => number,
    log: StrategyServices['log'],
    overrides: Partial<
      Pick<StrategyServices, 'order' | 'remade' | 'openOrders' | 'canceling' | 'position' | 'cash'>
    > = {},
  ): StrategyServices {
    const exec = this.exec;
    return {
      accountId: this.accountId,
      bus: this.bus,
      clock: this.clock,
      random,
      instrument: (id) => this.instrument(id),
      addOrder: (o) => exec.add(o),
      deny: (o, d, ts) => exec.deny(o, d, ts),
      order: (id) => exec.order(id),
      closedOrderWindowMs: this.#orderWindowMs,
      openOrders: (sid) => exec.openOrders(sid),
      heldOrderIds: (sid) =>
        exec
          .allOrders()
          .filter((o) => o.strategyId === sid)
          .map((o) => o.clientOrderId),
      position: (id) => this.ledger.ownPosition(strategyId, id),
      cash: (c) => this.ledger.cash(c),
      log,
      ...overrides,
    };
  }

  /** Sends a command through the risk gate. */
  submit(order: Order, ts: number): void {
    this.bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
  }

  /** Sends an order that passed the gate before (recovery) straight to the venue. */
  send(order: Order, ts: number): void {
    (this.#client ?? this.venue).submit(order, ts);
  }

  /** Sends a cancel committed before (its order PENDING_CANCEL) straight to the venue. */
  sendCancel(clientOrderId: string, ts: number): void {
    (this.#client ?? this.venue).cancel(clientOrderId, ts);
  }

  /** Resolves when every send so far is made and every event so far is committed. */
  async settle(): Promise<void> {
    await this.#client?.idle();
    await this.journal?.committed();
  }

  /** The limits in force. */
  get limits(): LimitSet {
    return this.#limits;
  }

  /** Applies stored limits and states; a scope newly HALTED gets the kill switch (cancels). */
  applyRisk(settings: RiskSettings, actor = 'store'): void {
    this.#limits = settings.limits;
    const apply = (state: TradingState, strategyId?: string) => {
      const key = strategyId ?? '';
      if (this.#applied.get(key) === state) return;
      this.#applied.set(key, state);
      if (state === 'HALTED') this.risk.killSwitch(this.clock.now(), actor, strategyId);
      else this.risk.setState(state, this.clock.now(), actor, strategyId);
    };
    apply(settings.states.global);
    for (const [id, state] of Object.entries(settings.states.strategies)) apply(state, id);
  }
}
