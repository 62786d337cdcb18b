import type { Bar } from '../trading/data/market-data.js';
import type { Instrument } from '../trading/model/instrument.js';

/** The holder of what an account itself trades (its orders, its positions). */
export const ACCOUNT_HOLDER = 'account';

/** What an account on a venue takes its instruments and bars from. */
export interface AccountInstrumentsConfig {
  /** The venue's instrument of a symbol, with its rules now (`UNKNOWN_INSTRUMENT` naming it). */
  readonly resolve: (symbol: string) => Instrument;
  /** Tells the account's core (and its venue client) of a new instrument, or of new rules. */
  readonly apply: (inst: Instrument) => void;
  /** Closed bars of `symbol` to `listener` from now on; answers the unsubscribe. */
  readonly watchBars: (symbol: string, listener: (bar: Bar) => void) => Promise<() => void>;
  /** Where the account's bars go (its core, its strategies). */
  readonly onBar: (bar: Bar) => void;
  /**
   * The venue's last closed bar of a symbol (REST), asked when its bars are first held: its close
   * is the reference price (market orders, limits) until the first bar comes.
   */
  readonly lastBar: (symbol: string) => Promise<Bar | null>;
  /** Gives the account's core that reference price. */
  readonly seed: (symbol: string, price: number) => void;
}

interface Held {
  readonly holders: Set<string>;
  readonly off: Promise<() => void>;
}

/**
 * The instruments of one account on a venue, taken on demand (`docs/decisions/accounts.md`,
 * "Instruments on demand"): `use` resolves a symbol from the venue's markets, makes it tradable
 * on the account's core, and holds its bars for a holder (the account itself, a strategy); the
 * bars of a symbol are watched once per account while someone holds them, and `release` of the
 * last holder lets them go (the venue's stream stops after its last account or client).
 * `refresh` applies the venue's new rules (tick, lot, minimums) to every instrument it trades.
 *
 * @example
 * const instruments = new AccountInstruments({ resolve, apply, watchBars, onBar });
 * await instruments.use('ETH/USDT');            // the account trades it from now on
 * await instruments.use('ETH/USDT', 'strategy:s1');
 * instruments.release('strategy:s1');
 */
export class AccountInstruments {
  readonly #held = new Map<string, Held>();

  constructor(private readonly cfg: AccountInstrumentsConfig) {}

  /** Makes `symbol` tradable on the account (its rules now) and holds its bars for `holder`. */
  async use(symbol: string, holder: string = ACCOUNT_HOLDER): Promise<Instrument> {
    const inst = this.cfg.resolve(symbol);
    this.cfg.apply(inst);
    let held = this.#held.get(symbol);
    if (!held) {
      const h: Held = { holders: new Set(), off: this.#watch(symbol) };
      h.off.catch(() => {
        if (this.#held.get(symbol) === h) this.#held.delete(symbol);
      });
      this.#held.set(symbol, (held = h));
    }
    held.holders.add(holder);
    await held.off;
    return inst;
  }

  /** Watches the bars of `symbol`, then seeds its reference price (a failed ask: the first bar). */
  async #watch(symbol: string): Promise<() => void> {
    const off = await this.cfg.watchBars(symbol, this.cfg.onBar);
    const last = await this.cfg.lastBar(symbol).catch(() => null);
    if (last) this.cfg.seed(symbol, last.close);
    return off;
  }

  /** Whether someone holds the bars of `symbol` on this account. */
  holds(symbol: string): boolean {
    return this.#held.has(symbol);
  }

  /** Drops `holder` from every symbol; a symbol's last holder releases its bars. */
  release(holder: string): void {
    for (const [symbol, held] of [...this.#held]) {
      if (!held.holders.delete(holder) || held.holders.size > 0) continue;
      this.#held.delete(symbol);
      void held.off.then(
        (off) => off(),
        () => undefined,
      );
    }
  }

  /** Releases every symbol's bars (the account closes here). */
  close(): void {
    const holders = new Set([...this.#held.values()].flatMap((h) => [...h.holders]));
    for (const holder of holders) this.release(holder);
  }

  /**
   * Applies the venue's rules now to each of `ids` (the instruments the account trades): orders
   * made from now on snap to them. A symbol the venue no longer lists keeps its last rules.
   */
  refresh(ids: readonly string[]): void {
    for (const id of ids) {
      let inst: Instrument;
      try {
        inst = this.cfg.resolve(id);
      } catch {
        continue;
      }
      this.cfg.apply(inst);
    }
  }
}
