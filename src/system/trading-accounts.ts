import { randomBytes } from 'node:crypto';
import { accountOwnerUnavailable } from '../api/account-owner.js';
import type { Store } from '../store/open-store.js';
import type { Fence } from '../store/lease-repository.js';
import { OrderRepository } from '../store/order-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import { toDecimal, type DecimalInput } from '../trading/core/decimal.js';
import { KairosError } from '../trading/core/errors.js';
import type { Bar } from '../trading/data/market-data.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import { TradingDesk } from '../trading/live/trading-desk.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { Order } from '../trading/model/order.js';
import type { PaperVenue } from '../trading/venues/paper/paper-venue.js';
import { checkClosable, checkClosableStored } from './account-close-checks.js';
import { AccountMarkets } from './account-markets.js';
import { AccountDirectory } from './account-directory.js';
import { AccountInstruments, ACCOUNT_HOLDER } from './account-instruments.js';
import { storeAccount, storeClosed, storeDefault, storeReopened } from './account-records.js';
import type { AccountInfo, AccountRuntime, HeldLease } from './account-runtime.js';
import { JoinedAccountsBus, type AccountsBus } from './accounts-bus.js';
import { inUse, type LiveAccounts, type LiveAccountSpec } from './live-accounts.js';
import { checkLiveRequest, paperStartingCash, type NewAccount } from './new-account.js';
import { openPaperCore } from './paper-account-core.js';
import { venueNotConfigured } from './server-venues.js';
import { VenueGate } from './venue-gate.js';
import type { VenueMarket } from './venue-market.js';
import type { ChangeActor } from './user-accounts.js';

/** The server's shared paper account: orders of a user with no account of their own go there. */
export const SHARED_ACCOUNT = 'desk';

/** What the accounts of a server are built from. */
export interface TradingAccountsConfig {
  readonly db: Store['db'];
  /** `KAIROS_HOME`: each paper account's venue lives under `paper/<accountId>/`. */
  readonly home: string;
  readonly instrument: Instrument;
  /** The paper venue's name. */
  readonly venue: string;
  /** The shared account's starting cash. */
  readonly sharedCash: DecimalInput;
  /** Wall-clock ms (creation, closing, the audit log). */
  readonly now: () => number;
  readonly onAlert?: (alert: Alert) => void;
  /** Told each core once it is recovered, before it trades (logs, metrics). */
  readonly onOpened?: (runtime: AccountRuntime, recovery: ReconciliationResult) => void;
  /** The server's ccxt venues and live accounts (none: live accounts are refused). */
  readonly live?: LiveAccounts | null;
  /**
   * The venues' public market data (`ServerVenues`): a paper account on a venue (`venue` one of
   * the server's `--venue`s) fills on that venue's live bars. None: paper accounts are replayed.
   */
  readonly market?: VenueMarket | null;
  /** After a venue's bar reached a paper account's core: its strategies hear it. */
  readonly onMarketBar?: (accountId: string, bar: Bar) => Promise<void>;
  /** Where a venue bar that could not be played to an account is told. */
  readonly log?: (line: string) => void;
  /**
   * Several instances share the accounts (`docs/scalability.md`, "Ownership"): `open` opens no
   * core, each is opened by `openAccount` while this instance holds its lease, and a new
   * account is handed to `adopt` (which takes its lease and opens it). Absent: one instance
   * opens every account.
   */
  readonly leased?: { readonly adopt: (accountId: string) => Promise<unknown> };
  /**
   * How long (ms of the core's clock) a closed order stays held: the OMS, the ccxt client and a
   * strategy's `ctx.order` (`KAIROS_CLOSED_ORDER_RETENTION_MS`; default 10 minutes).
   */
  readonly closedOrderRetentionMs?: number;
}

/**
 * Every account of `kairos serve` with one `TradingCore` each (`docs/decisions/accounts.md`): the
 * shared `desk` account and every user's paper account, each on its own paper venue file
 * (`$KAIROS_HOME/paper/<accountId>/venue.json`), its own order journal and its own ledger. Cores
 * are opened and recovered at start (every stored account) or at creation, always before they
 * trade. The replay's bars reach every core (`onBar`), one bar at a time, and an account created
 * between two bars starts at the last one. `bus` is every core's bus as one (order events carry
 * their account).
 *
 * @example
 * const accounts = await TradingAccounts.open(cfg);
 * const a = await accounts.create(userId, { name: 'main', mode: 'paper', startingCash: '1000' }, by);
 */
export class TradingAccounts {
  readonly #runtimes = new Map<string, AccountRuntime>();
  /**
   * Per open core: its bus subscriptions, the switch in front of its venue and, a paper account,
   * the venue itself (closed with the core).
   */
  readonly #wiring = new Map<
    string,
    { offs: (() => void)[]; gate: VenueGate; paper?: PaperVenue | null }
  >();
  /** The accounts known and each user's default account. */
  readonly #directory: AccountDirectory;
  /** Accounts being closed: they take no new order. */
  readonly #closing = new Set<string>();
  /**
   * The accounts this instance holds (leased: their lease; else every one), core or not (a
   * closed live account has none): only here are they closed and opened again.
   */
  readonly #held = new Map<string, HeldLease | undefined>();
  /** Paper accounts on a venue not ready when they were to open: opened once it is. */
  readonly #waiting = new Set<string>();
  /**
   * Cores being handed over (`closeAccount` with `release`): out of `#runtimes`, so nothing new
   * reaches them, while the orders being placed are recorded and sent; their events (accepted,
   * filled) still name their orders through `order`, so they reach the WebSocket clients.
   */
  readonly #handingOver = new Map<string, AccountRuntime>();
  readonly #bus = new JoinedAccountsBus(
    () => this.#runtimes.values(),
    (accountId) => this.#wiring.get(accountId)?.offs,
  );
  /** Which market drives each account, and what it trades there. */
  readonly #markets: AccountMarkets;
  #tail: Promise<unknown> = Promise.resolve();
  #lastBar: Bar | null = null;
  #inUse: (accountId: string) => boolean = () => false;
  #prepare: (runtime: AccountRuntime) => Promise<void> = async () => undefined;

  private constructor(private readonly cfg: TradingAccountsConfig) {
    this.#directory = new AccountDirectory(cfg.db);
    this.#markets = new AccountMarkets(cfg, {
      info: (accountId) => this.#directory.get(accountId),
      runtime: (accountId) => this.#runtimes.get(accountId),
      runtimes: () => this.#runtimes.values(),
    });
  }

  /**
   * Opens and recovers the shared account and every stored account (leased: reads them, and
   * opens none; `openAccount` does, per lease).
   */
  static async open(cfg: TradingAccountsConfig): Promise<TradingAccounts> {
    const accounts = new TradingAccounts(cfg);
    // A venue's new rules (tick, lot, minimums) reach every account on it: new orders snap to them.
    cfg.market?.onMarkets((venue) => {
      accounts.#markets.refreshed(venue);
      accounts.#openWaiting(venue);
    });
    const inst = cfg.instrument;
    accounts.#directory.set({
      id: SHARED_ACCOUNT,
      ownerUserId: null,
      venue: cfg.venue,
      mode: 'paper',
      name: SHARED_ACCOUNT,
      credentialId: null,
      startingCash: toDecimal(cfg.sharedCash).toFixed(),
      currency: inst.quote,
      createdAt: 0,
      disabledAt: null,
      shared: true,
    });
    if (cfg.leased) {
      await accounts.refresh();
      return accounts;
    }
    await accounts.#openCore(SHARED_ACCOUNT, cfg.sharedCash);
    for (const id of await accounts.refresh())
      if (id !== SHARED_ACCOUNT) await accounts.#openAt(id);
    return accounts;
  }

  /**
   * Reads the accounts and default accounts from the store again (another instance creates and
   * closes accounts too); answers every account id, the shared one first.
   */
  refresh(): Promise<string[]> {
    return this.#directory.refresh();
  }

  /**
   * Reads one account (`accountId`), one user's accounts (`ownerUserId`) or every account (null)
   * from the store again before a read of them answers, when several instances share the
   * accounts (leased): a close, reopen, creation or default made on another instance shows at
   * once, not at the next `refresh` (a lease round). One instance makes every change itself, so
   * its memory is the store's: nothing is read.
   */
  async reread(scope: { accountId: string } | { ownerUserId: string | null }): Promise<void> {
    if (!this.cfg.leased) return;
    if ('accountId' in scope) await this.#directory.refreshAccount(scope.accountId);
    else if (scope.ownerUserId !== null) await this.#directory.refreshOwner(scope.ownerUserId);
    else await this.refresh();
  }

  /**
   * Opens an account's core on this instance, recovered and reconciled with its venue before it
   * trades, its journal writes fenced by `lease.fence` and its paper venue's by `lease.token`
   * (the account's lease); a paper account starts at the last bar. False when it cannot trade
   * here (a live account on a server without venues).
   */
  async openAccount(accountId: string, lease?: HeldLease): Promise<boolean> {
    if (!this.#directory.has(accountId)) await this.refresh();
    const info = this.#directory.get(accountId);
    if (!info || !this.#tradable(info)) return false;
    return this.exclusive(async () => {
      if (this.#runtimes.has(accountId)) return true;
      this.#held.set(accountId, lease);
      await this.#openAt(accountId, lease);
      const rt = this.#runtimes.get(accountId);
      if (!rt) return true; // a live account whose venue is down: tracked, opened when it is back
      if (this.#replayed(rt) && this.#lastBar) {
        rt.core.onBar(this.#lastBar);
        await rt.core.settle();
      }
      await this.#prepare(rt);
      return true;
    });
  }

  /**
   * Closes an account's core on this instance. `release` (a hand-over): no new order reaches it,
   * the orders being placed are recorded and sent, then it stops. `lost` (its lease is gone):
   * nothing more is sent from now on, and what is left is dropped (its writes are refused).
   */
  async closeAccount(accountId: string, how: 'release' | 'lost'): Promise<void> {
    const rt = this.#runtimes.get(accountId);
    const wiring = this.#wiring.get(accountId);
    if (how === 'lost') wiring?.gate.close(`the lease of account ${accountId} was lost`);
    // From now on no request, bar or strategy of this instance reaches the core. Handed over,
    // its orders are still found by their events until it is closed: the orders being placed
    // are stored and sent under its lease, and their frames are the clients'. A lost lease's
    // are not: its writes are refused, so its events may not be what was stored.
    this.#runtimes.delete(accountId);
    this.#held.delete(accountId);
    if (rt && how === 'release') this.#handingOver.set(accountId, rt);
    try {
      await this.exclusive(async () => {
        if (rt) {
          if (how === 'release') {
            await rt.desk.idle();
            await rt.core.settle();
          } else await rt.core.settle().catch(() => undefined);
        }
        wiring?.gate.close(`account ${accountId} was handed over`);
        for (const off of wiring?.offs ?? []) off();
        this.#wiring.delete(accountId);
        this.#release(accountId);
        wiring?.paper?.close();
        await this.cfg.live?.drop(accountId);
      });
    } finally {
      if (this.#handingOver.get(accountId) === rt) this.#handingOver.delete(accountId);
    }
  }

  /**
   * Stops every account's trading on this instance, as the server closes (after its cores are
   * settled): the venues' bars are released and each paper venue's op log is closed; a late op
   * on one is refused (`VENUE_CLOSED`). Idempotent.
   */
  stop(): void {
    for (const [accountId, wiring] of this.#wiring) {
      this.#release(accountId);
      wiring.paper?.close();
    }
  }

  /**
   * Whether the account's core open here stopped taking orders because the store did not answer
   * (its journal failed with `STORE_UNAVAILABLE`; reopened by its lease's holder once it answers).
   */
  storeFailed(accountId: string): boolean {
    const failure = this.#runtimes.get(accountId)?.core.journal.failure;
    return (failure as { code?: unknown } | null | undefined)?.code === 'STORE_UNAVAILABLE';
  }

  /** Whether this server can open the account (a live one or one on a venue: it has the venue). */
  #tradable(info: AccountInfo): boolean {
    if (info.mode === 'live') return !!this.cfg.live;
    return info.venue === this.cfg.venue || !!this.cfg.market?.names().includes(info.venue);
  }

  /** Opens the core of a known account (a live one: tracked, retried while its venue is down). */
  async #openAt(accountId: string, lease?: HeldLease): Promise<void> {
    const info = this.#directory.get(accountId)!;
    this.#held.set(accountId, lease);
    // A paper account on a venue this server was started without: kept, not opened here.
    if (info.mode === 'paper' && !this.#tradable(info)) return;
    // A closed live account has no core and no venue connection (`reopen` opens them).
    if (info.mode === 'live' && this.#disabled(accountId)) return;
    if (accountId === SHARED_ACCOUNT) await this.#openCore(accountId, this.cfg.sharedCash, lease);
    else if (info.mode === 'live') await this.#startLive(info, lease?.fence);
    else if (info.venue !== this.cfg.venue && this.cfg.market?.ready(info.venue) === false)
      // Its venue not ready (banned or silent since start): opened once it is (`#openWaiting`).
      this.#waiting.add(accountId);
    else await this.#openCore(accountId, info.startingCash ?? '0', lease, info.venue);
  }

  /** Opens the paper accounts on `venue` that waited for it to be ready, recovered first. */
  #openWaiting(venue: string): void {
    for (const id of [...this.#waiting]) {
      if (this.#directory.get(id)?.venue !== venue) continue;
      this.#waiting.delete(id);
      void this.exclusive(async () => {
        // Handed over or closed meanwhile: not here.
        if (this.#runtimes.has(id) || !this.#held.has(id)) return;
        await this.#openAt(id, this.#held.get(id));
        const rt = this.#runtimes.get(id);
        if (rt) await this.#prepare(rt);
      }).catch((e: unknown) =>
        this.cfg.log?.(`account ${id}: could not be opened on ${venue}: ${(e as Error).message}`),
      );
    }
  }

  /** The shared account's runtime (leased: undefined while another instance owns it). */
  get shared(): AccountRuntime {
    return this.#runtimes.get(SHARED_ACCOUNT)!;
  }

  /** The last price of an instrument, from any core open here, else the last bar played. */
  lastPrice(instrumentId: string): ReturnType<TradingCore['lastPrice']> {
    for (const rt of this.#runtimes.values()) {
      const p = rt.core.lastPrice(instrumentId);
      if (p) return p;
    }
    return null;
  }

  /**
   * Every core's bus as one: a subscription reaches the cores opened later too. A handler is
   * also told the account whose core published the event (`JoinedAccountsBus`).
   */
  readonly bus: AccountsBus = this.#bus;

  /** Refuses to close an account while this says it is in use (a strategy runs on it). */
  guardClose(inUse: (accountId: string) => boolean): void {
    this.#inUse = inUse;
  }

  /** Runs on a new account's core before it takes its first order (the risk settings). */
  prepareWith(prepare: (runtime: AccountRuntime) => Promise<void>): void {
    this.#prepare = prepare;
  }

  runtime(accountId: string): AccountRuntime | undefined {
    return this.#runtimes.get(accountId);
  }

  runtimes(): AccountRuntime[] {
    return [...this.#runtimes.values()];
  }

  /** The runtimes the replay drives (the shared account, paper accounts not on a venue). */
  paperRuntimes(): AccountRuntime[] {
    return this.runtimes().filter((rt) => this.#replayed(rt));
  }

  #replayed(rt: AccountRuntime): boolean {
    return rt.mode === 'paper' && this.marketOf(rt.accountId) === 'replay';
  }

  /**
   * The market that drives an account: `replay` (the server's `--data`: the shared account and
   * paper accounts), else the venue whose bars reach it (a live account's).
   */
  marketOf(accountId: string): string {
    return this.#markets.marketOf(accountId);
  }

  /**
   * The instruments an account trades: its venue's for an account on a venue (live or paper),
   * else the replayed one; none for a venue this server no longer has (it does not open here).
   */
  instrumentsOf(accountId: string): readonly Instrument[] {
    return this.#markets.instrumentsOf(accountId);
  }

  /**
   * Makes `symbol` tradable on an account and holds its bars for `holder` (a strategy; default
   * the account itself) until `releaseInstrument`: on a venue, any market it lists, taken on
   * demand; on the replay, the replayed one. `UNKNOWN_INSTRUMENT` names the venue and symbol.
   */
  useInstrument(
    accountId: string,
    symbol: string,
    holder: string = ACCOUNT_HOLDER,
  ): Promise<Instrument> {
    return this.#markets.use(accountId, symbol, holder);
  }

  /** Lets go of what `holder` held on an account (its last holder releases a symbol's bars). */
  releaseInstrument(accountId: string, holder: string): void {
    this.#markets.release(accountId, holder);
  }

  /** A live account's link to its venue; null for a paper account. */
  venueLink(accountId: string) {
    return this.cfg.live?.link(accountId) ?? null;
  }

  /** The fencing token of the account's lease held here (undefined: not held, or not leased). */
  leaseToken(accountId: string): number | undefined {
    return this.#held.get(accountId)?.token;
  }

  /** A live account's new order against its venue's order rate (`LiveAccounts.admitOrder`). */
  admitOrder(accountId: string, clientOrderId: string) {
    return this.cfg.live?.admitOrder(accountId, clientOrderId) ?? null;
  }

  info(accountId: string): AccountInfo | undefined {
    return this.#directory.get(accountId);
  }

  infos(): AccountInfo[] {
    return this.#directory.all();
  }

  /** The user's default account; null when none is set (their orders go to the shared one). */
  defaultOf(userId: string): string | null {
    return this.#directory.defaultOf(userId);
  }

  /** Whether an account takes no order (closed, or being closed). */
  isClosed(accountId: string): boolean {
    return this.#closing.has(accountId) || this.#disabled(accountId);
  }

  /** An order as its account's OMS holds it now (an account being handed over included). */
  order(clientOrderId: string): Order | undefined {
    for (const rt of this.#runtimes.values()) {
      const o = rt.core.exec.order(clientOrderId);
      if (o) return o;
    }
    for (const rt of this.#handingOver.values()) {
      const o = rt.core.exec.order(clientOrderId);
      if (o) return o;
    }
    return undefined;
  }

  /** Whether some core has an order whose outcome is not known. */
  unresolved(): boolean {
    return this.runtimes().some((rt) => rt.core.unresolved());
  }

  /**
   * Plays one bar to every core (one call of `fn` at a time with account creation, so a new
   * account starts between two bars).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Every open account's core sees the bar (call inside `exclusive`). */
  onBar(bar: Bar): void {
    this.#lastBar = bar;
    for (const rt of this.paperRuntimes()) if (!this.#disabled(rt.accountId)) rt.core.onBar(bar);
  }

  /** Closed (stored as such): it trades no more, and its paper venue is closed. */
  #disabled(accountId: string): boolean {
    return this.#directory.disabled(accountId);
  }

  /**
   * Creates a paper account of `ownerUserId` (stored with its audit row in one transaction),
   * then opens its core. A live account: `createLive`.
   */
  async create(ownerUserId: string, req: NewAccount, by: ChangeActor): Promise<AccountInfo> {
    if (req.mode === 'live') return this.#createLive(ownerUserId, req, by);
    if (req.credentialId !== undefined)
      throw new KairosError('ACCOUNT_INVALID', 'credentialId: only for a live account');
    // A paper account on a venue fills on that venue's live market; else on the replay.
    const venue = req.venue ?? this.cfg.venue;
    const instruments = this.#markets.venueInstruments(venue);
    const cash = paperStartingCash(req);
    const id = newAccountId();
    const record = await storeAccount(
      this.cfg,
      ownerUserId,
      {
        id,
        venue,
        mode: 'paper',
        name: req.name,
        credentialId: null,
        startingCash: cash.toFixed(),
        currency: instruments[0]!.quote,
      },
      req.default === true,
      by,
    );
    // Leased: it is taken like any account (its lease, then its core); another instance that
    // took it first trades it.
    if (this.cfg.leased) {
      const info = this.#directory.registered(record);
      await this.cfg.leased.adopt(id);
      return info;
    }
    await this.exclusive(async () => {
      this.#held.set(id, undefined);
      const rt = await this.#openCore(id, cash.toFixed(), undefined, venue);
      // Between two bars: it starts where the others are.
      if (venue === this.cfg.venue && this.#lastBar) {
        rt.core.onBar(this.#lastBar);
        await rt.core.settle();
      }
      await this.#prepare(rt);
    });
    return this.#directory.registered(record);
  }

  /**
   * A live account on one of the server's venues, bound to one of the owner's stored
   * credentials: checked (`VENUE_NOT_CONFIGURED`, `CREDENTIAL_NOT_FOUND`,
   * `CREDENTIAL_WRONG_VENUE`), connected with the key and recovered (`CREDENTIAL_REFUSED`,
   * `VENUE_UNAVAILABLE`) before anything is stored; stored with its audit row; nothing is kept
   * when a step fails.
   */
  async #createLive(ownerUserId: string, req: NewAccount, by: ChangeActor): Promise<AccountInfo> {
    const live = this.cfg.live ?? null;
    checkLiveRequest(req, live);
    if (!live) throw venueNotConfigured(req.venue, []);
    await live.check(ownerUserId, req.venue, req.credentialId);
    const id = newAccountId();
    const spec = { accountId: id, venue: req.venue, credentialId: req.credentialId };
    const orders = new OrderRepository(this.cfg.db, id);
    const info = await this.exclusive(async () => {
      const opened = await live.open(spec, orders, null);
      try {
        const record = await storeAccount(
          this.cfg,
          ownerUserId,
          {
            id,
            venue: req.venue!,
            mode: 'live',
            name: req.name,
            credentialId: req.credentialId!,
            startingCash: opened.cash,
            currency: opened.currency,
          },
          req.default === true,
          by,
        );
        const info = this.#directory.registered(record);
        if (this.cfg.leased) {
          // Checked and stored: from here it is opened like any account, under its lease.
          await live.drop(id);
          return info;
        }
        const rt = this.#register(
          id,
          'live',
          opened.core,
          orders,
          opened.recovery,
          new VenueGate(),
        );
        this.#held.set(id, undefined);
        await this.#prepare(rt);
        this.#track(spec, opened.cash);
        return info;
      } catch (e) {
        await live.drop(id);
        this.#runtimes.delete(id);
        this.#held.delete(id);
        throw e;
      }
    });
    if (this.cfg.leased) await this.cfg.leased.adopt(id);
    return info;
  }

  /** A stored live account: opened now, or (its venue down) marked so and retried. */
  async #startLive(a: AccountInfo, fence?: Fence): Promise<void> {
    const live = this.cfg.live;
    const spec = { accountId: a.id, venue: a.venue, credentialId: a.credentialId ?? '' };
    if (!live) return;
    const cash = a.startingCash ?? '0';
    try {
      await this.#openLive(spec, cash, fence);
    } catch (e) {
      await live.failed(spec, e);
    }
    this.#track(spec, cash, fence);
  }

  async #openLive(spec: LiveAccountSpec, cash: string, fence?: Fence): Promise<void> {
    const orders = new OrderRepository(this.cfg.db, spec.accountId, Date.now, fence);
    const gate = new VenueGate();
    const opened = await this.cfg.live!.open(spec, orders, cash, gate);
    const rt = this.#register(
      spec.accountId,
      'live',
      opened.core,
      orders,
      opened.recovery,
      gate,
      fence,
    );
    await this.#prepare(rt);
  }

  #track(spec: LiveAccountSpec, cash: string, fence?: Fence): void {
    this.cfg.live?.track(spec, () =>
      this.exclusive(async () => {
        // Closed meanwhile (closing needs no venue): no core opens for it.
        if (this.#runtimes.has(spec.accountId) || this.#disabled(spec.accountId)) return;
        await this.#openLive(spec, cash, fence);
      }),
    );
  }

  /**
   * Closes an account (it stays readable with its orders and fills; it takes no order): only
   * when it has no open order (`ACCOUNT_HAS_OPEN_ORDERS`), no position (`ACCOUNT_NOT_FLAT`) and
   * no strategy running on it (`ACCOUNT_IN_USE`). If it was its owner's default, their oldest
   * other open account becomes the default (none: orders go to the shared account).
   */
  async close(accountId: string, by: ChangeActor): Promise<AccountInfo> {
    const info = this.#directory.get(accountId);
    const rt = this.#runtimes.get(accountId);
    if (!info || info.ownerUserId === null)
      throw new KairosError('ACCOUNT_NOT_FOUND', `account ${accountId}: not found`);
    // Closed already (a live one has no core): answered as it is.
    if (this.#disabled(accountId) && this.#held.has(accountId)) return info;
    if (!rt) {
      // Held here with no core: a live account whose venue was down when it was to open.
      // Closing needs no venue.
      if (info.mode === 'live' && this.#held.has(accountId)) return this.#closeCoreless(info, by);
      // Its core runs on another instance (leased): that one closes it.
      throw accountOwnerUnavailable(accountId);
    }
    if (this.isClosed(accountId)) return info;
    // From here no order is taken on it; refused below, it takes orders again.
    this.#closing.add(accountId);
    try {
      // An order being placed when the close began is on record before the checks.
      await rt.desk.idle();
      await rt.core.settle();
      checkClosable(accountId, rt, (id) => this.#inUse(id));
      const closed = await this.#storeClosed(info, by);
      // A closed account trades no more: the venue's bars it watched are released (the last
      // account or strategy on a symbol releases its subscription), its paper venue takes no
      // more ops (its orders, trades and balances stay readable). A live account's core is
      // closed with its venue connection: nothing confirms its balances any more, so nothing
      // shows them as current (`docs/decisions/accounts.md`, "Closing and reopening").
      this.#release(accountId);
      this.#wiring.get(accountId)?.paper?.close();
      if (info.mode === 'live') await this.exclusive(() => this.#shut(accountId));
      return closed;
    } finally {
      this.#closing.delete(accountId);
    }
  }

  /**
   * Closes a live account held here whose core is not open (its venue was down when it was to
   * open, and is retried): checked from the store (`checkClosableStored`: its unfinished orders,
   * the positions of its stored fills, its strategies), stored closed with its audit row, and
   * no longer retried, so no core opens for it later (`reopen` opens it once the venue answers).
   * One at a time with the retry (`exclusive`): a core that opened meanwhile is closed with it.
   */
  async #closeCoreless(info: AccountInfo, by: ChangeActor): Promise<AccountInfo> {
    const accountId = info.id;
    this.#closing.add(accountId);
    let closed: AccountInfo | null;
    try {
      closed = await this.exclusive(async () => {
        if (this.#runtimes.has(accountId)) return null;
        if (this.#disabled(accountId)) return this.#directory.get(accountId)!;
        if (!this.#held.has(accountId)) throw accountOwnerUnavailable(accountId);
        const fence = this.#held.get(accountId)?.fence;
        const orders = new OrderRepository(this.cfg.db, accountId, Date.now, fence);
        await checkClosableStored(
          accountId,
          orders,
          (id) => this.#currenciesOf(info.venue, id),
          (id) => this.#inUse(id),
        );
        const done = await this.#storeClosed(info, by);
        // No more retries of its core, no venue link (`venueStatus` null), as any closed account.
        await this.#shut(accountId);
        return done;
      });
    } finally {
      this.#closing.delete(accountId);
    }
    // Its core opened while the close waited: closed like any open account.
    return closed ?? this.close(accountId, by);
  }

  /** The currencies of an instrument of a venue, for booking stored fills without a core. */
  #currenciesOf(venue: string, instrumentId: string): { base: string; quote: string } {
    try {
      const inst = this.cfg.market?.instrument(venue, instrumentId);
      if (inst) return inst;
    } catch {
      // Delisted since the server started: read from ccxt's unified symbol, BASE/QUOTE[:SETTLE].
    }
    const [base = instrumentId, rest = ''] = instrumentId.split('/');
    return { base, quote: rest.split(':')[0] ?? '' };
  }

  /**
   * Stores an account closed with its audit row (its owner's default moved if it was it) and
   * remembers it so.
   */
  async #storeClosed(info: AccountInfo, by: ChangeActor): Promise<AccountInfo> {
    const ts = this.cfg.now();
    const owner = info.ownerUserId!;
    const nextDefault = await storeClosed(
      this.cfg,
      { id: info.id, owner, name: info.name },
      ts,
      by,
    );
    if (nextDefault !== undefined) this.#directory.setDefault(owner, nextDefault);
    const closed = { ...info, disabledAt: ts };
    this.#directory.set(closed);
    return closed;
  }

  /**
   * Opens a closed account again, on the instance that holds it (else
   * `ACCOUNT_OWNER_UNAVAILABLE`): recovered and reconciled with its venue before it trades, as
   * at start. A live account is connected with its key and recovered first; a venue that
   * refuses the key (`CREDENTIAL_REFUSED`) or does not answer (`VENUE_UNAVAILABLE`) leaves it
   * closed, nothing written. Stored with its audit row (`account.reopened`); its owner's default
   * when they have none. An open account: answered as it is.
   */
  async reopen(accountId: string, by: ChangeActor): Promise<AccountInfo> {
    const info = this.#directory.get(accountId);
    if (!info || info.ownerUserId === null)
      throw new KairosError('ACCOUNT_NOT_FOUND', `account ${accountId}: not found`);
    if (!this.#held.has(accountId)) throw accountOwnerUnavailable(accountId);
    return this.exclusive(async () => {
      const now = this.#directory.get(accountId)!;
      if (!this.#disabled(accountId) || !this.#held.has(accountId)) return now;
      const lease = this.#held.get(accountId);
      const record = { id: accountId, owner: now.ownerUserId!, name: now.name };
      let madeDefault: boolean | null = null;
      // Open from here: it takes orders.
      const open = () => {
        this.#directory.set({ ...now, disabledAt: null });
        if (madeDefault) this.#directory.setDefault(record.owner, accountId);
      };
      if (now.mode === 'live') {
        if (!this.cfg.live) throw venueNotConfigured(now.venue, []);
        const spec = { accountId, venue: now.venue, credentialId: now.credentialId ?? '' };
        const cash = now.startingCash ?? '0';
        // Connected, recovered and given its risk settings first (closed, it takes no order
        // meanwhile): a venue that refuses or does not answer leaves it closed.
        await this.#openLive(spec, cash, lease?.fence).catch(async (e: unknown) => {
          await this.#shut(accountId);
          throw e;
        });
        try {
          madeDefault = await storeReopened(this.cfg, record, by);
        } catch (e) {
          await this.#shut(accountId);
          throw e;
        }
        open();
        this.#track(spec, cash, lease?.fence);
      } else {
        madeDefault = await storeReopened(this.cfg, record, by);
        open();
        // Its frozen core (kept for reads) goes; a new one opens its venue, recovered.
        await this.#shut(accountId);
        await this.#openAt(accountId, lease);
        const rt = this.#runtimes.get(accountId);
        if (rt && this.#replayed(rt) && this.#lastBar) {
          rt.core.onBar(this.#lastBar);
          await rt.core.settle();
        }
        if (rt) await this.#prepare(rt);
      }
      return this.#directory.get(accountId)!;
    });
  }

  /**
   * Closes an account's core here for good (closed, or reopened on a fresh core): its bus
   * subscriptions, its venue's sends, bars and paper op log; a live account's venue connection.
   */
  async #shut(accountId: string): Promise<void> {
    const wiring = this.#wiring.get(accountId);
    this.#runtimes.delete(accountId);
    wiring?.gate.close(`account ${accountId} was closed`);
    for (const off of wiring?.offs ?? []) off();
    this.#wiring.delete(accountId);
    this.#release(accountId);
    wiring?.paper?.close();
    if (this.#directory.get(accountId)?.mode === 'live') await this.cfg.live?.drop(accountId);
  }

  /** Makes an open account of `userId` their default (audited). */
  async setDefault(userId: string, accountId: string, by: ChangeActor): Promise<AccountInfo> {
    const info = this.#directory.get(accountId);
    if (!info || info.ownerUserId !== userId)
      throw new KairosError('ACCOUNT_NOT_FOUND', `accountId: account ${accountId} not found`);
    if (this.isClosed(accountId))
      throw new KairosError('ACCOUNT_DISABLED', `accountId: account ${accountId} is closed`);
    await storeDefault(this.cfg, userId, accountId, by);
    this.#directory.setDefault(userId, accountId);
    return info;
  }

  /**
   * Opens a paper account's core: on the replay (`venue` the paper venue), or fed the live bars
   * of `venue` (each bar: its core, its strategies, then settled and reconciled, one at a time
   * with the others).
   */
  async #openCore(
    accountId: string,
    cash: DecimalInput,
    lease?: HeldLease,
    venue = this.cfg.venue,
  ): Promise<AccountRuntime> {
    const { cfg } = this;
    const onVenue = venue !== cfg.venue;
    const fence = lease?.fence;
    const orders = new OrderRepository(cfg.db, accountId, Date.now, fence);
    // On a venue: its first instrument (the account's currency) and those it has traded; any
    // other comes on demand.
    const listed = this.#markets.venueInstruments(venue);
    const instruments = onVenue
      ? [
          listed[0]!,
          ...(await orders.instrumentIds())
            .filter((id) => id !== listed[0]!.id)
            .map((id) => cfg.market!.instrument(venue, id)),
        ]
      : listed;
    const opened = await openPaperCore({
      accountId,
      home: cfg.home,
      venue: cfg.venue,
      instruments,
      cash,
      orders,
      ...(lease ? { leaseToken: lease.token } : {}),
      ...(cfg.onAlert ? { onAlert: cfg.onAlert } : {}),
      ...(cfg.closedOrderRetentionMs !== undefined
        ? { closedOrderRetentionMs: cfg.closedOrderRetentionMs }
        : {}),
    });
    const { core, recovery, gate } = opened;
    const rt = this.#register(accountId, 'paper', core, orders, recovery, gate, fence);
    this.#wiring.get(accountId)!.paper = opened.paper();
    if (onVenue) {
      const market = cfg.market!;
      const held = new AccountInstruments({
        resolve: (symbol) => market.instrument(venue, symbol),
        apply: (inst) => {
          core.setInstrument(inst);
          opened.paper()?.setInstrument(inst);
        },
        watchBars: (symbol, listener) => market.watchBars(venue, symbol, listener),
        lastBar: async (symbol) => (await market.recentBars(venue, symbol, 1))[0] ?? null,
        seed: (symbol, price) => core.seedPrice(symbol, price),
        onBar: (bar) => this.#venueBar(rt, bar),
      });
      this.#markets.hold(accountId, held);
      // Bars for what it trades now (open orders, positions); a closed account needs none.
      if (!this.#disabled(accountId)) for (const id of inUse(core)) await held.use(id);
    }
    // A closed account's venue was read at recovery (its orders, trades); it takes no op.
    if (this.#disabled(accountId)) opened.paper()?.close();
    return rt;
  }

  /** Releases the venue bars an account holds (none: nothing). */
  #release(accountId: string): void {
    this.#markets.drop(accountId);
  }

  /** A venue's bar to a paper account on it: its core, its strategies, settled and reconciled. */
  #venueBar(rt: AccountRuntime, bar: Bar): void {
    void this.exclusive(async () => {
      // Closed or handed over meanwhile: no more bars.
      if (this.#runtimes.get(rt.accountId) !== rt || this.#disabled(rt.accountId)) return;
      rt.core.onBar(bar);
      await this.cfg.onMarketBar?.(rt.accountId, bar);
      await rt.core.settle();
      await rt.core.reconcile();
    }).catch((e: unknown) =>
      this.cfg.log?.(`account ${rt.accountId}: bar ${bar.closeTime}: ${(e as Error).message}`),
    );
  }

  /** Makes a recovered core one of the server's: its bus joins `bus`, its order entry opens. */
  #register(
    accountId: string,
    mode: 'paper' | 'live',
    core: TradingCore,
    orders: OrderRepository,
    recovery: ReconciliationResult,
    gate: VenueGate,
    fence?: Fence,
  ): AccountRuntime {
    const rt: AccountRuntime = {
      accountId,
      mode,
      core,
      // On a venue, an instrument it does not trade yet is taken from the venue's markets.
      desk: new TradingDesk(core, orders, async (id) => {
        if (this.marketOf(accountId) === 'replay') return;
        await this.useInstrument(accountId, id).catch((e: unknown) => {
          if (e instanceof KairosError) throw e;
          // Its bars could not be subscribed (the venue's stream refused): the order goes on.
          this.cfg.log?.(`account ${accountId}: ${id}: no bars: ${(e as Error).message}`);
        });
      }),
      orders,
      snapshots: new StrategySnapshotRepository(this.cfg.db, accountId, fence),
    };
    const offs = this.#bus.join(accountId, core);
    this.#wiring.set(accountId, { offs, gate });
    this.#runtimes.set(accountId, rt);
    this.cfg.onOpened?.(rt, recovery);
    return rt;
  }
}

function newAccountId(): string {
  return `acc-${randomBytes(8).toString('hex')}`;
}
