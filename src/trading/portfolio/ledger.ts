import { InvariantError } from '../core/errors.js';
import { toDecimal, ZERO, type Decimal, type DecimalInput } from '../core/decimal.js';
import { addDecimals, multiplyDecimals, signOf, subtractDecimals } from '../core/scaled-decimal.js';
import type { Fill } from '../model/fill.js';
import { applyFill, flatPosition, unrealizedPnl, type Position } from '../model/position.js';
import { bookedFill, type FillCurrencies } from './booked-fill.js';
import {
  decimalText,
  fromText,
  positionOf,
  positionState,
  type LedgerState,
} from './ledger-state.js';
import { RoundTripTracker, type ClosedRoundTrip } from './round-trip-tracker.js';

/** How a ledger is kept beyond its books. */
export interface LedgerOptions {
  /**
   * Keep every closed round trip (`roundTrips`): a backtest, whose report lists them. Paper and
   * live keep none (nothing there reads them, and a node's life would hold them all).
   */
  readonly keepRoundTrips?: boolean;
}

/**
 * Balances, positions, fees and PnL, exact to the last decimal. Cash moves by price × quantity
 * and fees on each fill; positions keep FIFO lots and equal the base received minus the base
 * given (a fee charged in the base asset included). At any time, for the quote currency,
 * cash + Σ position × mark = start + realized + unrealized − fees (tested as a property).
 *
 * @example
 * const ledger = new Ledger({ USD: '100000' }, { keepRoundTrips: true });
 * ledger.applyFill(fill, { base: 'ORCL', quote: 'USD' }); // or the fill's Instrument
 */
export class Ledger {
  readonly #cash = new Map<string, Decimal>();
  readonly #start = new Map<string, Decimal>();
  readonly #positions = new Map<string, Position>();
  readonly #trips: RoundTripTracker;
  /** The one owner (strategy or trader) of every fill so far; null once there are several. */
  #soleOwner: string | undefined | null = undefined;
  /** Positions per owner, kept once a second owner appears (until then: the account's). */
  #owned: Map<string, Map<string, Position>> | null = null;
  #fees = ZERO;
  #fills = 0;

  constructor(startingCash: Readonly<Record<string, DecimalInput>>, options: LedgerOptions = {}) {
    this.#trips = new RoundTripTracker(options.keepRoundTrips ?? false);
    for (const [currency, amount] of Object.entries(startingCash)) {
      const d = toDecimal(amount);
      this.#cash.set(currency, d);
      this.#start.set(currency, d);
    }
  }

  /**
   * Applies one fill of an instrument trading `base` against `quote`. Quote cash moves by
   * price × quantity. A fee in the quote or a third currency (BNB) is cash paid in that
   * currency; a fee in the base currency is base not received (buy) or given up on top (sell),
   * so the position is what the venue holds, and it counts in `fees` at the fill price
   * (`bookedFill`).
   */
  applyFill(fill: Fill, currencies: FillCurrencies, owner = ''): void {
    // Stryker disable next-line ConditionalExpression: equivalent, calling #addOwner for the sole owner only starts per-owner books earlier
    if (owner !== this.#soleOwner) this.#addOwner(owner);
    const { quote } = currencies;
    const notional = multiplyDecimals(fill.price, fill.quantity);
    const cash = this.cash(quote);
    this.#cash.set(
      quote,
      fill.side === 'BUY' ? subtractDecimals(cash, notional) : addDecimals(cash, notional),
    );
    const booked = bookedFill(fill, currencies);
    if (booked === fill)
      this.#cash.set(
        fill.fee.currency,
        subtractDecimals(this.cash(fill.fee.currency), fill.fee.amount),
      );
    const change = applyFill(this.position(fill.instrumentId), booked);
    this.#positions.set(fill.instrumentId, change.position);
    if (this.#owned) {
      const mine = this.#owned.get(owner)!;
      mine.set(
        fill.instrumentId,
        applyFill(mine.get(fill.instrumentId) ?? flatPosition(fill.instrumentId), booked).position,
      );
    }
    this.#trips.onFill(booked, change);
    this.#fees = addDecimals(this.#fees, booked.fee.amount);
    this.#fills++;
  }

  #addOwner(owner: string): void {
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, without it the first owner gets per-owner books at once (same positions)
    if (this.#soleOwner === undefined) {
      this.#soleOwner = owner;
      return;
    }
    if (this.#owned === null) {
      // Every fill so far was the sole owner's: the account's positions are theirs.
      this.#owned = new Map([[this.#soleOwner!, new Map(this.#positions)]]);
      this.#soleOwner = null;
    }
    if (!this.#owned.has(owner)) this.#owned.set(owner, new Map());
  }

  /** The books as JSON: `restore` makes the same ledger (closed round trips aside). */
  state(): LedgerState {
    const list = (m: ReadonlyMap<string, Decimal>) =>
      [...m].map(([c, d]) => [c, decimalText(d)] as const);
    return {
      version: 1,
      cash: list(this.#cash),
      start: list(this.#start),
      positions: [...this.#positions.values()].map(positionState),
      ...(this.#soleOwner === undefined ? {} : { soleOwner: this.#soleOwner }),
      owned:
        this.#owned === null
          ? null
          : [...this.#owned].map(([o, ps]) => [o, [...ps.values()].map(positionState)] as const),
      openTrips: this.#trips.openState(),
      fees: decimalText(this.#fees),
      fills: this.#fills,
    };
  }

  /**
   * Takes the books of `state` (on a ledger no fill has reached): the same positions, owners,
   * fees and count, and each currency's cash moved by the difference when this ledger's starting
   * cash differs from the state's.
   */
  restore(state: LedgerState): void {
    if (this.#fills > 0 || this.#soleOwner !== undefined)
      throw new InvariantError('LEDGER_RESTORED_LATE', 'a ledger is restored before any fill');
    const before = new Map(state.start.map(([c, d]) => [c, fromText(d)]));
    const cash = new Map(this.#cash);
    this.#cash.clear();
    for (const [c, d] of state.cash) {
      const was = before.get(c) ?? ZERO;
      const now = this.#start.get(c) ?? ZERO;
      const held = fromText(d);
      this.#cash.set(c, was.eq(now) ? held : addDecimals(subtractDecimals(held, was), now));
    }
    for (const [c, d] of cash) if (!this.#cash.has(c)) this.#cash.set(c, d);
    for (const p of state.positions) this.#positions.set(p.instrumentId, positionOf(p));
    if (state.soleOwner !== undefined) this.#soleOwner = state.soleOwner;
    if (state.owned)
      this.#owned = new Map(
        state.owned.map(([o, ps]) => [o, new Map(ps.map((p) => [p.instrumentId, positionOf(p)]))]),
      );
    this.#trips.restoreOpen(state.openTrips);
    this.#fees = fromText(state.fees);
    this.#fills = state.fills;
  }

  /** Cash held in a currency (zero when none). */
  cash(currency: string): Decimal {
    return this.#cash.get(currency) ?? ZERO;
  }

  /** Starting cash in a currency. */
  startingCash(currency: string): Decimal {
    return this.#start.get(currency) ?? ZERO;
  }

  /** The position in an instrument (flat when none). */
  position(instrumentId: string): Position {
    return this.#positions.get(instrumentId) ?? flatPosition(instrumentId);
  }

  /**
   * The position one owner's fills made (a strategy's own, not the account's): a strategy never
   * sees, or trades away, what a trader or another strategy bought on the same account.
   */
  ownPosition(owner: string, instrumentId: string): Position {
    if (this.#owned === null)
      return owner === this.#soleOwner ? this.position(instrumentId) : flatPosition(instrumentId);
    return this.#owned.get(owner)?.get(instrumentId) ?? flatPosition(instrumentId);
  }

  /** Every non-flat position. */
  openPositions(): Position[] {
    return [...this.#positions.values()].filter((p) => signOf(p.quantity) !== 0);
  }

  /** Every position ever held, flat ones included. */
  allPositions(): Position[] {
    return [...this.#positions.values()];
  }

  /**
   * Total fees paid: quote fees, base fees valued at their fill price, and a third currency's
   * fees as their amount (there is no price to convert them).
   */
  get fees(): Decimal {
    return this.#fees;
  }

  /** Number of fills applied. */
  get fillCount(): number {
    return this.#fills;
  }

  /**
   * Round trips closed so far, when the ledger keeps them (`keepRoundTrips`); none otherwise
   * (paper, live: the open trips alone are tracked, as `state` keeps them).
   */
  get roundTrips(): readonly ClosedRoundTrip[] {
    return this.#trips.closed;
  }

  /**
   * Equity in `currency`: its cash plus each position (quoted in it) marked at `marks`.
   * Positions without a mark are valued at their entry cost.
   */
  equity(
    currency: string,
    marks: ReadonlyMap<string, Decimal>,
    quoteOf: (instrumentId: string) => string,
  ): Decimal {
    let total = this.cash(currency);
    for (const p of this.#positions.values()) {
      // A flat position has no lots: it adds nothing.
      if (quoteOf(p.instrumentId) !== currency) continue;
      const mark = marks.get(p.instrumentId);
      total = total.plus(mark ? unrealizedPnl(p, mark) : ZERO);
      for (const lot of p.lots) total = total.plus(lot.price.times(lot.quantity));
    }
    return total;
  }
}
