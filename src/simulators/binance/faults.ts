import { KairosError } from '../../trading/core/errors.js';
import { SeededRandom } from '../../trading/core/random.js';
import { BINANCE_MESSAGES, BinanceError, BinanceErrors } from './binance-error.js';

/** How a dropped order answer fails: the socket is reset, or the answer never comes. */
export type DropMode = 'reset' | 'hang';

/** The faults the venue can inject; every field is optional in `set`. */
export interface FaultSettings {
  /** Drop the HTTP answer of the next N order creations (each order is committed first). */
  readonly dropOrderResponses: number;
  /** Chance (0..1, seeded) that an order creation loses its answer. */
  readonly dropOrderResponseRate: number;
  readonly dropMode: DropMode;
  /**
   * After `after` more requests, answer `tooMany` with 429, then 418 (banned) for `banMs`. With
   * `readsOnly`, only the account's reads count and are refused (orders, trades, open orders,
   * account): the market data and order writes pass.
   */
  readonly rateLimit: {
    readonly after: number;
    readonly tooMany: number;
    readonly banMs: number;
    readonly readsOnly?: boolean;
  } | null;
  /**
   * Lose every user-data report (executionReport) of the next N orders created: combined with
   * `dropOrderResponses`, the node hears nothing about them until it asks.
   */
  readonly loseOrderReports: number;
  /** Hold every user-data report this many ms before sending it (fills arrive late; 0: off). */
  readonly delayReportsMs: number;
  /**
   * Hold every user-data report (executionReport) while true; setting it false sends those held,
   * in order (a stream that delivers a trade minutes late, at a moment a test chooses).
   */
  readonly holdReports: boolean;
  /** Stamp trades this many ms ahead of the venue's clock (a venue clock running ahead; 0: off). */
  readonly tradeClockAheadMs: number;
  /** Close every WebSocket connection (abruptly) every N ms; null: off. */
  readonly wsDropEveryMs: number | null;
  /** Close every WebSocket connection after a random (seeded) `min`–`max` ms, again and again; null: off. */
  readonly wsDropRandomMs: { readonly min: number; readonly max: number } | null;
  /** Deliver every fill event `minCopies`–`maxCopies` times, shuffled within `windowMs`. */
  readonly duplicateFills: {
    readonly minCopies: number;
    readonly maxCopies: number;
    readonly windowMs: number;
  } | null;
  /** Refuse the next `count` orders with this Binance error; `commit` still books the order. */
  readonly rejectNextOrders: {
    readonly code: number;
    readonly msg?: string;
    readonly status?: number;
    readonly count?: number;
    readonly commit?: boolean;
  } | null;
  /** `GET /api/v3/order` answers -2013 for orders younger than this many ms (0: off). */
  readonly hideNewOrdersMs: number;
  /**
   * API keys revoked at the venue: every request carrying one answers -2015 (401). `true`:
   * every key; a list: those keys only (Binance revokes a key, not the venue).
   */
  readonly keyRevoked: boolean | readonly string[];
}

/** What the faults did so far. */
export interface FaultStats {
  droppedResponses: number;
  rateLimited: number;
  banned: number;
  wsDrops: number;
  duplicatedEvents: number;
  rejectedOrders: number;
  lostReports: number;
}

const OFF: FaultSettings = {
  dropOrderResponses: 0,
  dropOrderResponseRate: 0,
  dropMode: 'reset',
  rateLimit: null,
  wsDropEveryMs: null,
  wsDropRandomMs: null,
  duplicateFills: null,
  rejectNextOrders: null,
  hideNewOrdersMs: 0,
  keyRevoked: false,
  loseOrderReports: 0,
  delayReportsMs: 0,
  holdReports: false,
  tradeClockAheadMs: 0,
};

const bad = (field: string, rule: string) =>
  new KairosError('VENUE_FAULT_INVALID', `faults.${field}: must be ${rule}`);

const isCount = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function check(s: FaultSettings): void {
  if (!isCount(s.dropOrderResponses)) throw bad('dropOrderResponses', 'an integer ≥ 0');
  const rate = s.dropOrderResponseRate;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
    throw bad('dropOrderResponseRate', 'a number in [0, 1]');
  if (s.dropMode !== 'reset' && s.dropMode !== 'hang') throw bad('dropMode', "'reset' or 'hang'");
  const r = s.rateLimit;
  if (r !== null && !(isCount(r.after) && isCount(r.tooMany) && isCount(r.banMs)))
    throw bad('rateLimit', '{after, tooMany, banMs} integers ≥ 0, or null');
  if (s.wsDropEveryMs !== null && !(isCount(s.wsDropEveryMs) && s.wsDropEveryMs > 0))
    throw bad('wsDropEveryMs', 'a positive integer of ms, or null');
  const w = s.wsDropRandomMs;
  if (w !== null && !(isCount(w.min) && w.min > 0 && isCount(w.max) && w.max >= w.min))
    throw bad('wsDropRandomMs', '{min, max}: integers of ms, 0 < min ≤ max, or null');
  const d = s.duplicateFills;
  if (
    d !== null &&
    !(
      isCount(d.minCopies) &&
      d.minCopies >= 1 &&
      isCount(d.maxCopies) &&
      d.maxCopies >= d.minCopies &&
      isCount(d.windowMs)
    )
  )
    throw bad('duplicateFills', '{minCopies ≥ 1, maxCopies ≥ minCopies, windowMs ≥ 0}, or null');
  const j = s.rejectNextOrders;
  if (
    j !== null &&
    !(Number.isInteger(j.code) && j.code < 0 && (j.count === undefined || isCount(j.count)))
  )
    throw bad(
      'rejectNextOrders',
      '{code: a negative Binance code, count?, msg?, status?, commit?}',
    );
  if (!isCount(s.hideNewOrdersMs)) throw bad('hideNewOrdersMs', 'an integer of ms ≥ 0');
  const k = s.keyRevoked;
  if (typeof k !== 'boolean' && !(Array.isArray(k) && k.every((x) => typeof x === 'string')))
    throw bad('keyRevoked', 'true, false or a list of API keys');
  if (!isCount(s.loseOrderReports)) throw bad('loseOrderReports', 'an integer ≥ 0');
  if (!isCount(s.delayReportsMs)) throw bad('delayReportsMs', 'an integer of ms ≥ 0');
  if (typeof s.holdReports !== 'boolean') throw bad('holdReports', 'true or false');
  if (!isCount(s.tradeClockAheadMs)) throw bad('tradeClockAheadMs', 'an integer of ms ≥ 0');
  if (r !== null && r.readsOnly !== undefined && typeof r.readsOnly !== 'boolean')
    throw bad('rateLimit.readsOnly', 'true or false');
}

/**
 * The simulated venue's fault switches, changed at runtime (from a test through this handle, or
 * over HTTP through `POST /__faults`). Random choices use a seeded source, so a run repeats.
 *
 * @example
 * sim.faults.set({ dropOrderResponses: 1 }); // the next order is booked, its answer is lost
 * sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 2000 } }); // 429, then 418
 */
export class Faults {
  #s: FaultSettings = OFF;
  readonly #rng: SeededRandom;
  readonly #listeners: ((s: FaultSettings) => void)[] = [];
  readonly stats: FaultStats = {
    droppedResponses: 0,
    rateLimited: 0,
    banned: 0,
    wsDrops: 0,
    duplicatedEvents: 0,
    rejectedOrders: 0,
    lostReports: 0,
  };
  #seen = 0;
  readonly #lostReports = new Set<string>();
  readonly #delayed = new Set<ReturnType<typeof setTimeout>>();
  #limited = 0;
  #banUntil: number | null = null;
  #rejected = 0;
  #pending: (() => void)[] = [];
  /** Reports held while `holdReports` is on, in order. */
  #held: (() => void)[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(seed = 1) {
    this.#rng = new SeededRandom(seed);
  }

  /** The current settings. */
  settings(): FaultSettings {
    return this.#s;
  }

  /** Changes some settings (the others stay); throws VENUE_FAULT_INVALID naming a bad field. */
  set(changes: Partial<FaultSettings>): FaultSettings {
    const unknown = Object.keys(changes).find((k) => !(k in OFF));
    if (unknown !== undefined)
      throw new KairosError(
        'VENUE_FAULT_INVALID',
        `faults.${unknown}: no such fault (known: ${Object.keys(OFF).join(', ')})`,
      );
    const next = { ...this.#s, ...changes };
    check(next);
    if ('rateLimit' in changes) {
      this.#seen = 0;
      this.#limited = 0;
      this.#banUntil = null;
    }
    if ('rejectNextOrders' in changes) this.#rejected = 0;
    this.#s = next;
    if (next.duplicateFills === null) this.#flush();
    if (!next.holdReports) for (const send of this.#held.splice(0)) send();
    for (const l of this.#listeners) l(next);
    return next;
  }

  /** When the 418 ban under way ends (ms), or null when none is. */
  get banUntil(): number | null {
    return this.#banUntil;
  }

  /** Turns every fault off (delivering any held events). */
  reset(): FaultSettings {
    return this.set(OFF);
  }

  /** Calls `listener` after every change. */
  onChange(listener: (s: FaultSettings) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Counts a REST request; the 429/418 error to answer with, if the rate-limit fault says so.
   * `read`: the request reads the account (orders, trades, account).
   */
  rateLimitVerdict(now: number, read = true): BinanceError | null {
    const r = this.#s.rateLimit;
    if (!r) return null;
    if (r.readsOnly && !read) return null;
    if (this.#banUntil !== null) {
      if (now < this.#banUntil) {
        this.stats.banned++;
        return BinanceErrors.banned(this.#banUntil, Math.ceil((this.#banUntil - now) / 1000));
      }
      this.#s = { ...this.#s, rateLimit: null }; // the ban is over: back to normal
      this.#banUntil = null;
      return null;
    }
    if (this.#seen < r.after) {
      this.#seen++;
      return null;
    }
    if (this.#limited < r.tooMany) {
      this.#limited++;
      this.stats.rateLimited++;
      return BinanceErrors.tooManyRequests(6000, 1);
    }
    this.#banUntil = now + r.banMs;
    return this.rateLimitVerdict(now);
  }

  /** Ms until the next drop of every WebSocket (`wsDropEveryMs`, else a seeded draw), or null. */
  nextWsDropMs(): number | null {
    const s = this.#s;
    if (s.wsDropEveryMs !== null) return s.wsDropEveryMs;
    if (s.wsDropRandomMs !== null) return this.#rng.int(s.wsDropRandomMs.min, s.wsDropRandomMs.max);
    return null;
  }

  /** An order is being created: whether its user-data reports are to be lost (the fault). */
  takeReportLoss(clientOrderId: string): boolean {
    if (this.#s.loseOrderReports <= 0) return false;
    this.#s = { ...this.#s, loseOrderReports: this.#s.loseOrderReports - 1 };
    this.#lostReports.add(clientOrderId);
    return true;
  }

  /** Whether this order's reports are lost. */
  reportsLost(clientOrderId: string): boolean {
    return this.#lostReports.has(clientOrderId);
  }

  /** Whether the answer to this order creation is to be lost, and how. */
  takeOrderDrop(): DropMode | null {
    const s = this.#s;
    let drop = false;
    if (s.dropOrderResponses > 0) {
      this.#s = { ...s, dropOrderResponses: s.dropOrderResponses - 1 };
      drop = true;
    } else if (s.dropOrderResponseRate > 0) {
      drop = this.#rng.next() < s.dropOrderResponseRate;
    }
    if (!drop) return null;
    this.stats.droppedResponses++;
    return s.dropMode;
  }

  /** The refusal for this order creation, if the fault wants one. */
  takeOrderRejection(): { error: BinanceError; commit: boolean } | null {
    const j = this.#s.rejectNextOrders;
    if (!j) return null;
    this.#rejected++;
    if (this.#rejected >= (j.count ?? 1)) this.#s = { ...this.#s, rejectNextOrders: null };
    this.stats.rejectedOrders++;
    const msg = j.msg ?? BINANCE_MESSAGES[j.code] ?? 'Rejected by the simulator.';
    return { error: new BinanceError(j.code, msg, j.status ?? 400), commit: j.commit ?? false };
  }

  /** Whether the API key `key` is revoked (`keyRevoked`). */
  revoked(key: string): boolean {
    const k = this.#s.keyRevoked;
    return typeof k === 'boolean' ? k : k.includes(key);
  }

  /** True when an order committed at `committedAt` is still hidden from queries at `now`. */
  hidden(committedAt: number, now: number): boolean {
    return now - committedAt < this.#s.hideNewOrdersMs;
  }

  /**
   * Passes a user-data event on: at once, or (duplicate-fill fault, fill events only) several
   * copies held back and shuffled with the other fills of the window.
   */
  deliverUserEvent(event: Record<string, unknown>, send: () => void): void {
    if (event.e === 'executionReport' && this.#lostReports.has(String(event.c))) {
      this.stats.lostReports++;
      return;
    }
    if (this.#s.holdReports && event.e === 'executionReport')
      return void this.#held.push(() => this.#deliver(event, send));
    const delay = this.#s.delayReportsMs;
    if (delay > 0 && event.e === 'executionReport') {
      const timer = setTimeout(() => {
        this.#delayed.delete(timer);
        this.#deliver(event, send);
      }, delay);
      this.#delayed.add(timer);
      return;
    }
    this.#deliver(event, send);
  }

  #deliver(event: Record<string, unknown>, send: () => void): void {
    const d = this.#s.duplicateFills;
    if (!d || event.e !== 'executionReport' || event.x !== 'TRADE') return send();
    const copies = this.#rng.int(d.minCopies, d.maxCopies);
    this.stats.duplicatedEvents += copies - 1;
    for (let i = 0; i < copies; i++) this.#pending.push(send);
    this.#flushTimer ??= setTimeout(() => this.#flush(), d.windowMs);
  }

  #flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const out = this.#pending;
    this.#pending = [];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.#rng.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    for (const send of out) send();
  }

  /** Stops the timers (held events are dropped). */
  close(): void {
    for (const t of this.#delayed) clearTimeout(t);
    this.#delayed.clear();
    this.#held = [];
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.#pending = [];
  }
}
