import type { Decimal } from '../trading/core/decimal.js';
import type { Bar } from '../trading/data/market-data.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { Order } from '../trading/model/order.js';

/** What a paper or live run is: its start line names every one of these. */
export interface RunInfo {
  readonly mode: 'paper' | 'live';
  readonly strategy: string;
  readonly strategyId: string;
  readonly account: string;
  readonly venue: string;
  readonly instrument: string;
  /** The parameters in effect (defaults filled in). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Where the bars come from (a file, a venue's live market). */
  readonly source: string;
  /** Bars in the feed, when known (a replayed file): progress then shows a fraction. */
  readonly totalBars?: number | null;
  /** The Lambda function the strategy runs as (`--lambda`), when it runs as one. */
  readonly lambda?: string;
}

/** The end state of a run, when the node got to report it. */
export interface RunEnd {
  readonly position: Decimal;
  /** The unit of the position (the instrument's base currency). */
  readonly base: string;
  readonly cash: Decimal;
  readonly quote: string;
}

/** What a run did, counted from the order events it stored. */
export interface RunCounts {
  orders: number;
  fills: number;
  denied: number;
  rejected: number;
  canceled: number;
  bars: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
const short = (d: { toFixed(): string }) => d.toFixed();

/**
 * The lines a trader sees from `kairos paper` and `kairos live`: a start line (strategy,
 * account, venue, instrument, params in effect, resume point), a progress line now and then,
 * one line per order decision (`DENIED <id> POSITION_LIMIT …`, `FILLED <id> …`), and a summary
 * with the orders, fills and denials counted, at the end and on SIGINT/SIGTERM. It only
 * formats: the caller says where lines go and what time it is (wall clock, for pacing progress).
 *
 * @example
 * const p = new RunPrinter(info, (l) => process.stdout.write(`${l}\n`), Date.now);
 * p.started(resumedFrom); p.orderEvent(e); p.bar(bar); p.summary('finished', end);
 */
export class RunPrinter {
  readonly counts: RunCounts = {
    orders: 0,
    fills: 0,
    denied: 0,
    rejected: 0,
    canceled: 0,
    bars: 0,
  };
  readonly #orders = new Map<string, Order>();
  #lastProgress = -Infinity;
  #lastBar: Bar | null = null;
  #summarized = false;

  constructor(
    readonly info: RunInfo,
    private readonly out: (line: string) => void,
    private readonly wallNow: () => number,
    /** Wall ms between progress lines. */
    private readonly progressEveryMs = 10_000,
  ) {}

  /** The start line, once the resume point is known (null: a fresh start). */
  started(resumedFrom: number | null): void {
    const i = this.info;
    const params = Object.entries(i.params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
    const resume = resumedFrom === null ? 'fresh start' : `resumes after ${iso(resumedFrom)}`;
    this.out(
      `${i.mode} ${i.strategyId}${i.strategyId === i.strategy ? '' : ` (${i.strategy})`} · account ${i.account} · ` +
        `venue ${i.venue} · ${i.instrument} · params ${params || '(none)'} · ` +
        `${i.lambda === undefined ? '' : `Lambda function ${i.lambda} · `}${resume} · data ${i.source}`,
    );
    this.#lastProgress = this.wallNow();
  }

  /** One order event (as stored): a decision line for those a trader acts on, and the counts. */
  orderEvent(e: OrderEvent): void {
    const at = iso(e.ts);
    switch (e.kind) {
      case 'OrderInitialized':
        this.counts.orders++;
        this.#orders.set(e.clientOrderId, e.order);
        return;
      case 'OrderSubmitted':
        return this.out(`${at} SENT ${e.clientOrderId} ${this.#describe(e.clientOrderId)}`);
      case 'OrderDenied':
        this.counts.denied++;
        return this.out(
          `${at} DENIED ${e.clientOrderId} ${e.reason}: ${e.message} (${this.#describe(e.clientOrderId)})`,
        );
      case 'OrderRejected':
        this.counts.rejected++;
        return this.out(`${at} REJECTED ${e.clientOrderId} ${e.reason}: ${e.message}`);
      case 'OrderFilled': {
        this.counts.fills++;
        const f = e.fill;
        return this.out(
          `${at} FILLED ${e.clientOrderId} ${f.side} ${short(f.quantity)} @ ${short(f.price)} fee ${short(f.fee.amount)} ${f.fee.currency}`,
        );
      }
      case 'OrderCanceled':
        this.counts.canceled++;
        return this.out(`${at} CANCELED ${e.clientOrderId} ${e.reason}`);
      case 'OrderExpired':
        return this.out(`${at} EXPIRED ${e.clientOrderId} ${e.reason}`);
      case 'OrderUnknown':
        return this.out(
          `${at} UNKNOWN ${e.clientOrderId} ${e.reason} (reconciliation resolves it)`,
        );
      case 'OrderCancelRejected':
        return this.out(`${at} CANCEL-REJECTED ${e.clientOrderId} ${e.reason}`);
      case 'OrderAccepted':
      case 'OrderPendingCancel':
        return;
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  /** A bar reached the strategy: a progress line at most every `progressEveryMs` of wall time. */
  bar(bar: Bar): void {
    this.counts.bars++;
    this.#lastBar = bar;
    const now = this.wallNow();
    if (now - this.#lastProgress < this.progressEveryMs) return;
    this.#lastProgress = now;
    this.out(this.#progressLine(bar));
  }

  /** The summary (once): why the run ended, what it did, and where it stands. */
  summary(why: string, end: RunEnd | null): void {
    if (this.#summarized) return;
    this.#summarized = true;
    const c = this.counts;
    const i = this.info;
    const last = this.#lastBar ? `, last bar ${iso(this.#lastBar.closeTime)}` : '';
    const state = end
      ? `; position ${end.position.toFixed()} ${end.base}, cash ${end.cash.toFixed()} ${end.quote}`
      : '';
    this.out(
      `${i.mode} ${i.strategyId} ${why}: ${c.bars} bars read${last}; orders ${c.orders}, fills ${c.fills}, ` +
        `denied ${c.denied}, rejected ${c.rejected}, canceled ${c.canceled}${state}`,
    );
  }

  #progressLine(bar: Bar): string {
    const c = this.counts;
    const total = this.info.totalBars;
    const frac = total ? ` (${Math.min(100, (c.bars / total) * 100).toFixed(1)} %)` : '';
    return (
      `… ${iso(bar.closeTime)} bar ${c.bars}${total ? `/${total}` : ''}${frac} close ${bar.close}; ` +
      `orders ${c.orders}, fills ${c.fills}, denied ${c.denied}`
    );
  }

  #describe(clientOrderId: string): string {
    const o = this.#orders.get(clientOrderId);
    if (!o) return '';
    const price = o.price ? ` @ ${o.price.toFixed()}` : '';
    const trigger = o.triggerPrice ? ` trigger ${o.triggerPrice.toFixed()}` : '';
    return `${o.side} ${o.quantity.toFixed()} ${o.instrumentId} ${o.type}${price}${trigger}`;
  }
}
