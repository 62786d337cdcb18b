import { KairosError } from '../../trading/core/errors.js';
import { Account } from './account.js';
import type { Faults } from './faults.js';
import { SpotMatcher, type IdSequence, type MatcherOptions } from './matching.js';
import type { Credentials } from './signature.js';
import type { SimOrder, SimTrade } from './sim-order.js';
import { UserDataStream } from './user-data-stream.js';

/** One account of the venue as configured: its key pair and starting balances. */
export interface SimAccountOptions {
  readonly apiKey: string;
  readonly secret: string;
  /** Starting balances (default: the venue's `balances`). */
  readonly balances?: Readonly<Record<string, string>>;
}

/** What a restarted venue takes back for one account. */
export interface RestoredAccount {
  readonly balances: readonly { asset: string; free: string; locked: string }[];
  readonly orders: readonly SimOrder[];
  readonly trades: readonly SimTrade[];
  readonly listenKeys: readonly (readonly [string, number])[];
}

/**
 * One spot account at the venue, as Binance keeps them: its own key pair (its secret is the only
 * one that signs for it), balances, orders, fills, listen keys and user data stream.
 */
export class VenueAccount implements Credentials {
  constructor(
    readonly apiKey: string,
    readonly secret: string,
    readonly account: Account,
    readonly matcher: SpotMatcher,
    readonly userData: UserDataStream,
  ) {}
}

/** What every account's matcher shares (the symbol, fees, clocks, the id sequence). */
export type SharedMatcherOptions = Omit<MatcherOptions, 'account' | 'emit'> & {
  readonly ids: IdSequence;
};

/**
 * The venue's accounts, one per API key, in the order they were configured (the first is the
 * default one `sim.apiKey` names). Each has its own matcher against the shared replayed market;
 * `onChange` runs before any user-data event leaves (the state file is written there).
 *
 * @example
 * const accounts = new VenueAccounts(matcherOptions, faults, () => Date.now(), () => save());
 * accounts.add({ apiKey: 'k1', secret: 's1', balances: { USDT: '1000' } });
 * accounts.byKey('k1')?.matcher.place(req);
 */
export class VenueAccounts {
  readonly #byKey = new Map<string, VenueAccount>();

  constructor(
    private readonly shared: SharedMatcherOptions,
    private readonly faults: Faults,
    private readonly serverNow: () => number,
    private readonly onChange: () => void,
  ) {}

  /** Opens an account with its starting balances, or with a saved state. */
  add(
    creds: Credentials,
    start: Readonly<Record<string, string>>,
    restored?: RestoredAccount,
  ): VenueAccount {
    if (this.#byKey.has(creds.apiKey))
      throw new KairosError(
        'CONFIG_INVALID',
        `accounts: the API key ${creds.apiKey} is given twice`,
      );
    const account = restored ? Account.restore(restored.balances) : new Account(start);
    const userData = new UserDataStream(this.faults, this.serverNow);
    const matcher = new SpotMatcher({
      ...this.shared,
      account,
      emit: (e) => {
        this.onChange();
        userData.publish(e);
      },
    });
    if (restored) {
      matcher.restore(restored.orders, restored.trades);
      userData.restoreListenKeys(restored.listenKeys);
    }
    const a = new VenueAccount(creds.apiKey, creds.secret, account, matcher, userData);
    this.#byKey.set(creds.apiKey, a);
    return a;
  }

  /** The account of an API key, if it is one of ours. */
  byKey(apiKey: string): VenueAccount | undefined {
    return this.#byKey.get(apiKey);
  }

  /** The account that owns a live listen key, if any. */
  byListenKey(listenKey: string): VenueAccount | undefined {
    for (const a of this.#byKey.values()) if (a.userData.isKey(listenKey)) return a;
    return undefined;
  }

  /** Every account, in configuration order. */
  all(): VenueAccount[] {
    return [...this.#byKey.values()];
  }

  /** Matches every account's resting orders against one replayed market trade. */
  onMarketTrade(price: number, size: number, ts: number): void {
    for (const a of this.#byKey.values()) a.matcher.onMarketTrade(price, size, ts);
  }

  /** User-data listeners of every account. */
  listeners(): number {
    let n = 0;
    for (const a of this.#byKey.values()) n += a.userData.listeners();
    return n;
  }
}
