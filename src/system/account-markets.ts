import { accountOwnerUnavailable } from '../api/account-owner.js';
import { KairosError } from '../trading/core/errors.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { AccountInstruments } from './account-instruments.js';
import type { AccountInfo, AccountRuntime } from './account-runtime.js';
import type { LiveAccounts } from './live-accounts.js';
import { venueInstruments, type VenueMarket } from './venue-market.js';

/** The server's markets, as `TradingAccountsConfig` names them. */
export interface AccountMarketsConfig {
  /** The paper venue's name (the replay's accounts are on it). */
  readonly venue: string;
  /** The replayed instrument. */
  readonly instrument: Instrument;
  readonly market?: VenueMarket | null;
  readonly live?: Pick<LiveAccounts, 'instrumentsOf'> | null;
}

/** The accounts as the markets see them: known, and open here. */
export interface MarketAccounts {
  info(accountId: string): AccountInfo | undefined;
  runtime(accountId: string): AccountRuntime | undefined;
  runtimes(): Iterable<AccountRuntime>;
}

/**
 * Which market drives each account (the replay, or a venue) and the instruments it trades
 * there: on a venue, any market it lists, taken on demand and its bars held while some holder
 * (the account, a strategy) wants them; a venue's new rules reach every account on it.
 *
 * @example
 * const markets = new AccountMarkets(cfg, accounts);
 * markets.marketOf('desk'); // 'replay'
 * await markets.use('acc-1', 'ETH/USDT', 'strategy-7');
 */
export class AccountMarkets {
  /** Per paper account on a venue: its instruments, taken on demand, and the bars they hold. */
  readonly #onVenue = new Map<string, AccountInstruments>();

  constructor(
    private readonly cfg: AccountMarketsConfig,
    private readonly accounts: MarketAccounts,
  ) {}

  /**
   * The market that drives an account: `replay` (the server's `--data`: the shared account and
   * paper accounts), else the venue whose bars reach it (a live account's).
   */
  marketOf(accountId: string): string {
    const info = this.accounts.info(accountId);
    return !info || (info.mode === 'paper' && info.venue === this.cfg.venue)
      ? 'replay'
      : info.venue;
  }

  /**
   * The instruments an account trades: its venue's for an account on a venue (live or paper),
   * else the replayed one; none for a venue this server no longer has (it does not open here).
   */
  instrumentsOf(accountId: string): readonly Instrument[] {
    const market = this.marketOf(accountId);
    const rt = this.accounts.runtime(accountId);
    // On a venue, open here: those it trades now (any other the venue lists comes on demand).
    if (rt && market !== 'replay')
      return rt.core.instrumentIds().map((id) => rt.core.instrumentOf(id));
    // A venue not ready yet (banned or silent since start): none known.
    if (
      market !== 'replay' &&
      this.cfg.market?.names().includes(market) &&
      !this.cfg.market.ready(market)
    )
      return [];
    try {
      return this.venueInstruments(market === 'replay' ? this.cfg.venue : market);
    } catch (e) {
      if (e instanceof KairosError && e.code === 'VENUE_NOT_CONFIGURED') return [];
      throw e;
    }
  }

  /** The instruments of an account on `venue` (`venueInstruments`). */
  venueInstruments(venue: string): readonly Instrument[] {
    return venueInstruments(this.cfg, this.cfg.market, venue);
  }

  /**
   * Makes `symbol` tradable on an account and holds its bars for `holder` until `release`: on a
   * venue, any market it lists, taken on demand; on the replay, the replayed one.
   * `UNKNOWN_INSTRUMENT` names the venue and symbol.
   */
  async use(accountId: string, symbol: string, holder: string): Promise<Instrument> {
    const market = this.marketOf(accountId);
    if (market === 'replay') {
      if (symbol === this.cfg.instrument.id) return this.cfg.instrument;
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        `instrumentId: account ${accountId} trades no instrument "${symbol}" (it trades: ${this.cfg.instrument.id})`,
      );
    }
    const held = this.#held(accountId);
    if (!held) throw accountOwnerUnavailable(accountId);
    return held.use(symbol, holder);
  }

  /** Lets go of what `holder` held on an account (its last holder releases a symbol's bars). */
  release(accountId: string, holder: string): void {
    this.#held(accountId)?.release(holder);
  }

  /** A paper account on a venue, opened here: its instruments and the bars they hold. */
  hold(accountId: string, held: AccountInstruments): void {
    this.#onVenue.set(accountId, held);
  }

  /** Releases the venue bars an account holds (none: nothing). */
  drop(accountId: string): void {
    this.#held(accountId)?.close();
    this.#onVenue.delete(accountId);
  }

  /** A venue's markets were loaded again: each account on it takes the new rules. */
  refreshed(venue: string): void {
    for (const rt of this.accounts.runtimes()) {
      if (this.marketOf(rt.accountId) !== venue) continue;
      this.#held(rt.accountId)?.refresh(rt.core.instrumentIds());
    }
  }

  /** The instruments of an account on a venue open here (paper or live). */
  #held(accountId: string): AccountInstruments | null {
    return this.#onVenue.get(accountId) ?? this.cfg.live?.instrumentsOf(accountId) ?? null;
  }
}
