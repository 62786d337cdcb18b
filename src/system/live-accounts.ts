import type { AccountVenueLink } from '../api/deps.js';
import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import { AuditRepository } from '../store/audit-repository.js';
import { CredentialRepository, type CredentialSummary } from '../store/credential-repository.js';
import type { Store } from '../store/open-store.js';
import type { OrderRepository } from '../store/order-repository.js';
import { LiveClock } from '../trading/clock/live-clock.js';
import { KairosError } from '../trading/core/errors.js';
import { isVenueBusy } from '../trading/execution/venue-busy.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import { TradingCore } from '../trading/live/trading-core.js';
import type { Bar } from '../trading/data/market-data.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import { isCredentialRefused, maybeKeyRevoked } from '../trading/venues/ccxt/error-mapping.js';
import { fetchVenueBalances } from '../trading/venues/ccxt/venue-balances.js';
import { AccountInstruments, ACCOUNT_HOLDER } from './account-instruments.js';
import { liveAccountVenue, type LiveVenue } from './live-account-venue.js';
import type { VenueGate } from './venue-gate.js';
import type { ServerVenues } from './server-venues.js';
import type { PrivateConnection } from './venue-connection.js';
import { OrderRate, orderRateDetail, type OrderLimit } from './order-rate.js';

/** A live account as the server opens it. */
export interface LiveAccountSpec {
  readonly accountId: string;
  readonly venue: string;
  readonly credentialId: string;
}

/** A live account's core, recovered, with its venue connection. */
export interface OpenedLive {
  readonly core: TradingCore;
  readonly recovery: ReconciliationResult;
  /** Its instruments, taken on demand, with the bars they hold. */
  readonly instruments: AccountInstruments;
}

/** What the live accounts need. */
export interface LiveAccountsConfig {
  readonly db: Store['db'];
  readonly cipher: EnvelopeCipher;
  readonly venues: ServerVenues;
  readonly now: () => number;
  readonly onAlert: (a: Alert) => void;
  readonly log: (line: string) => void;
  /** Runs `fn` one at a time with the server's bars and account changes (`TradingAccounts.exclusive`). */
  readonly serialize: <T>(fn: () => Promise<T>) => Promise<T>;
  /** How often each live account is confirmed with its venue, ms (default 2 000). */
  readonly confirmEveryMs?: number;
  /**
   * Runs after an account's core has seen a bar of its venue, in the same `serialize` turn: the
   * strategies on the account hear it there (`StrategyHost.onBar`).
   */
  readonly onBar?: (accountId: string, bar: Bar) => Promise<void>;
  /**
   * How long (ms of the core's clock) a closed order stays held: the OMS, the ccxt client and a
   * strategy's `ctx.order` (`KAIROS_CLOSED_ORDER_RETENTION_MS`; default 10 minutes).
   */
  readonly closedOrderRetentionMs?: number;
  /**
   * Told each time an account's link may have changed (made, connected, confirmed, down, disabled):
   * several instances publish it for the others (`VenueLinkBoard`).
   */
  readonly onLink?: (accountId: string) => void;
}

interface Link {
  state: AccountVenueLink['state'];
  reason: string | null;
  since: number;
  confirmedAt: number | null;
  balances: AccountVenueLink['balances'];
  conn: PrivateConnection | null;
  venue: LiveVenue | null;
  core: TradingCore | null;
  instruments: AccountInstruments | null;
  /** Confirmations in a row the venue answered "invalid key" to, ambiguously (`maybeKeyRevoked`). */
  keyRefusals: number;
  /** `DOWN` under a ban: when it ends (ms); null: not known. */
  retryAt: number | null;
}

const LINK_STATES = [
  'UP',
  'DOWN',
  'DISABLED',
] as const satisfies readonly AccountVenueLink['state'][];

/** How many ambiguous "invalid key" answers in a row disable an account (a ban is shorter). */
const KEY_REFUSALS_TO_DISABLE = 3;

interface Tracked {
  readonly spec: LiveAccountSpec;
  /** Opens the account's core again (it could not be opened, or its key was replaced). */
  readonly reopen: () => Promise<void>;
}

/**
 * The live accounts of `kairos serve` (`docs/decisions/accounts.md`, "Live accounts"): each on a
 * private ccxt connection with its owner's decrypted key (on its venue's one request budget,
 * shared by every account: the venue limits weight per IP; new orders per account here), its core
 * recovered and reconciled with the venue as `kairos live` does before it trades, and its link to
 * the venue (`UP`, `DOWN` with the reason, `DISABLED` once the venue refused the key) with the
 * balances the venue last confirmed.
 *
 * @example
 * const live = new LiveAccounts(cfg);
 * const c = await live.check(ownerUserId, 'binance', credentialId);
 * const { core } = await live.open({ accountId, venue: 'binance', credentialId }, orders, null);
 */
export class LiveAccounts {
  readonly #links = new Map<string, Link>();
  readonly #tracked = new Map<string, Tracked>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #ticking = false;

  /** Each live account's new orders in its venue's order-rate window. */
  readonly #rates = new Map<string, OrderRate>();

  constructor(private readonly cfg: LiveAccountsConfig) {}

  /**
   * Keeps a live account confirmed with its venue from now on, every `confirmEveryMs`: its
   * balances asked and its orders reconciled (`confirm`), or, while it has no core (its venue was
   * down at start), `reopen` tried again.
   */
  track(spec: LiveAccountSpec, reopen: () => Promise<void>): void {
    this.#link(spec.accountId);
    this.#tracked.set(spec.accountId, { spec, reopen });
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#tick(), this.cfg.confirmEveryMs ?? 2_000);
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const t of this.#tracked.values()) {
        const l = this.#links.get(t.spec.accountId);
        if (!l || l.state === 'DISABLED') continue;
        if (!l.core) {
          await t.reopen().catch((e: unknown) => this.#fault(t.spec, e));
          continue;
        }
        const core = l.core;
        await this.confirm(t.spec, () =>
          this.cfg.serialize(async () => {
            await core.settle();
            await core.reconcile();
          }),
        );
      }
    } finally {
      this.#ticking = false;
    }
  }

  /** The instruments of a venue (`VENUE_NOT_CONFIGURED` when the server has none such). */
  instruments(venue: string): readonly Instrument[] {
    return this.cfg.venues.instruments(venue);
  }

  /** A live account's instruments, taken on demand (null while it has no core here). */
  instrumentsOf(accountId: string): AccountInstruments | null {
    return this.#links.get(accountId)?.instruments ?? null;
  }

  /** The venues the server has. */
  venues(): string[] {
    return this.cfg.venues.names();
  }

  /**
   * Checks what `POST /accounts {mode: "live"}` names: a venue the server has
   * (`VENUE_NOT_CONFIGURED`), a credential of the owner (`CREDENTIAL_NOT_FOUND`, also for another
   * user's) for that venue (`CREDENTIAL_WRONG_VENUE`).
   */
  async check(
    ownerUserId: string,
    venue: string,
    credentialId: string,
  ): Promise<CredentialSummary> {
    this.cfg.venues.instruments(venue);
    const c = await new CredentialRepository(this.cfg.db, this.cfg.cipher).find(credentialId);
    if (!c || c.ownerUserId !== ownerUserId)
      throw new KairosError(
        'CREDENTIAL_NOT_FOUND',
        `credentialId: you have no stored credential ${credentialId} (see GET /credentials)`,
      );
    if (c.venue !== venue)
      throw new KairosError(
        'CREDENTIAL_WRONG_VENUE',
        `credentialId: credential "${c.label}" is for ${c.venue}, not ${venue}`,
      );
    return c;
  }

  /**
   * Connects a live account with its key and opens its core, recovered and reconciled with the
   * venue before it trades. `cash` null (a new account): the venue's balance of the quote
   * currency is its starting cash (the risk gate's cash, moved by its fills). A key the venue
   * refuses: `CREDENTIAL_REFUSED`; a venue that does not answer: `VENUE_UNAVAILABLE`.
   */
  async open(
    spec: LiveAccountSpec,
    orders: OrderRepository,
    cash: string | null,
    /** The switch that stops its sends when the account's lease is lost (leased instances). */
    gate?: VenueGate,
  ): Promise<OpenedLive & { cash: string; currency: string }> {
    const { cfg } = this;
    // Its venue not ready (its markets not loaded: banned or silent since start): why, at once.
    cfg.venues.ensureReady(spec.venue);
    // The venue's first instrument (its currency is the account's), and those it has traded
    // (recovery books their fills); any other is taken on demand.
    const first = cfg.venues.instruments(spec.venue)[0];
    if (!first)
      throw new KairosError('VENUE_UNAVAILABLE', `${spec.venue}: lists no market Kairos can trade`);
    const traded = (await orders.instrumentIds()).map((id) =>
      cfg.venues.instrument(spec.venue, id),
    );
    const instruments = [first, ...traded.filter((i) => i.id !== first.id)];
    const currency = first.quote;
    const secrets = await new CredentialRepository(cfg.db, cfg.cipher)
      .reveal(spec.credentialId)
      .catch((e: unknown) => {
        throw new KairosError(
          'CREDENTIAL_NOT_FOUND',
          `account ${spec.accountId}: its credential ${spec.credentialId} is no longer stored`,
          { cause: e },
        );
      });
    const conn = await cfg.venues.connect(spec.venue, secrets);
    const link = this.#link(spec.accountId);
    let venue: LiveVenue | null = null;
    let held: AccountInstruments | null = null;
    try {
      const balances = await fetchVenueBalances(conn.rest.exchange);
      const start = cash ?? balances.find((b) => b.currency === currency)?.total.toFixed() ?? '0';
      venue = liveAccountVenue(conn, {
        accountId: spec.accountId,
        instruments,
        onAlert: cfg.onAlert,
        onLog: (line) => cfg.log(`account ${spec.accountId}: ${line}`),
        ...(cfg.closedOrderRetentionMs !== undefined
          ? { closedOrderRetentionMs: cfg.closedOrderRetentionMs }
          : {}),
      });
      const { core, recovery } = await TradingCore.open({
        accountId: spec.accountId,
        instruments,
        cash: { [currency]: start },
        orders,
        venue: gate
          ? (deliver, order, stored) => gate.wrap(venue!.build(deliver, order, stored))
          : venue.build,
        clock: new LiveClock(),
        onAlert: cfg.onAlert,
        // Its strategies read (`ctx.order`) the orders closed within the window after a restart too.
        restoreClosed: true,
        ...(cfg.closedOrderRetentionMs !== undefined
          ? { closedOrderRetentionMs: cfg.closedOrderRetentionMs }
          : {}),
        // A strategy's new orders count in the one window with the API's, denied past it.
        venueOrderRate: (id) => {
          const full = this.admitOrder(spec.accountId, id);
          return full && orderRateDetail(spec.accountId, full.limit, full.retryAfterMs);
        },
      });
      const live = venue;
      const instrumentsHeld = (held = new AccountInstruments({
        resolve: (symbol) => cfg.venues.instrument(spec.venue, symbol),
        apply: (inst) => {
          core.setInstrument(inst);
          live.setInstrument(inst);
        },
        watchBars: (symbol, listener) => cfg.venues.watchBars(spec.venue, symbol, listener),
        lastBar: async (symbol) => (await cfg.venues.recentBars(spec.venue, symbol, 1))[0] ?? null,
        seed: (symbol, price) => core.seedPrice(symbol, price),
        onBar: (bar) =>
          void cfg
            .serialize(async () => {
              core.onBar(bar);
              await cfg.onBar?.(spec.accountId, bar);
            })
            .catch((e: unknown) =>
              cfg.log(`account ${spec.accountId}: bar ${bar.closeTime}: ${(e as Error).message}`),
            ),
      }));
      // Bars are watched for what it trades now (open orders, positions); others on first need.
      for (const id of inUse(core)) await instrumentsHeld.use(id, ACCOUNT_HOLDER);
      Object.assign(link, {
        instruments: instrumentsHeld,
        state: 'UP',
        reason: null,
        retryAt: null,
        since: cfg.now(),
        confirmedAt: cfg.now(),
        balances,
        conn,
        venue,
        core,
      });
      cfg.onLink?.(spec.accountId);
      return { core, recovery, instruments: instrumentsHeld, cash: start, currency };
    } catch (e) {
      held?.close();
      await (venue ? venue.close() : conn.close());
      throw venueError(spec, e);
    }
  }

  /**
   * Takes one of a live account's new-order slots in its venue's order-rate window
   * (`ServerVenues.orderLimit`) for order `clientOrderId` (one holding a slot takes no other):
   * null when the order may go, else the limit and the ms until a slot frees (the order is
   * refused, never queued: one sent late is not the order placed). The API asks it before it
   * stores an order, the account's risk gate for every order (a strategy's too).
   */
  admitOrder(
    accountId: string,
    clientOrderId: string,
  ): { limit: OrderLimit; retryAfterMs: number } | null {
    const venue = this.#tracked.get(accountId)?.spec.venue;
    if (venue === undefined) return null;
    let rate = this.#rates.get(accountId);
    if (!rate)
      this.#rates.set(accountId, (rate = new OrderRate(() => this.cfg.venues.orderLimit(venue))));
    const retryAfterMs = rate.admit(this.cfg.now(), clientOrderId);
    return retryAfterMs === 0 ? null : { limit: this.cfg.venues.orderLimit(venue), retryAfterMs };
  }

  /** A live account's link; null for one that is not live. */
  link(accountId: string): AccountVenueLink | null {
    const l = this.#links.get(accountId);
    return l
      ? {
          state: l.state,
          reason: l.reason,
          since: l.since,
          confirmedAt: l.confirmedAt,
          balances: l.balances,
          retryAt:
            l.state === 'DOWN' && l.retryAt !== null && l.retryAt > this.cfg.now()
              ? l.retryAt
              : null,
        }
      : null;
  }

  /**
   * How many of the live accounts this instance keeps are in each link state, per venue (every
   * venue the server has and every state, zeros included): the `kairos_live_accounts` gauge.
   */
  counts(): { venue: string; state: AccountVenueLink['state']; accounts: number }[] {
    const count = new Map<string, number>();
    const key = (venue: string, state: string) => `${venue}\0${state}`;
    for (const [id, t] of this.#tracked) {
      const state = this.#links.get(id)?.state ?? 'DOWN';
      const k = key(t.spec.venue, state);
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    return this.venues().flatMap((venue) =>
      LINK_STATES.map((state) => ({ venue, state, accounts: count.get(key(venue, state)) ?? 0 })),
    );
  }

  /** Marks an account whose core could not be opened at start `DOWN` (or `DISABLED`). */
  failed(spec: LiveAccountSpec, e: unknown): Promise<void> {
    return this.#fault(spec, e);
  }

  /**
   * Asks the venue for the account's balances, then reconciles (`reconcile`: the caller's, one
   * bar at a time with the others). Success: `UP`, confirmed now. A refused key: `DISABLED`
   * (alerted, audited); no answer, a ban, a timeout: `DOWN` with the reason.
   */
  async confirm(spec: LiveAccountSpec, reconcile: () => Promise<unknown>): Promise<void> {
    const l = this.#links.get(spec.accountId);
    if (!l || !l.conn || l.state === 'DISABLED') return;
    try {
      const balances = await fetchVenueBalances(l.conn.rest.exchange);
      await reconcile();
      const wasDown = l.state !== 'UP';
      l.keyRefusals = 0;
      Object.assign(l, {
        state: 'UP',
        reason: null,
        retryAt: null,
        since: wasDown ? this.cfg.now() : l.since,
        confirmedAt: this.cfg.now(),
        balances,
      });
      this.cfg.onLink?.(spec.accountId);
      if (wasDown) this.cfg.log(`account ${spec.accountId}: venue ${spec.venue} is UP again`);
    } catch (e) {
      // Dropped meanwhile (closed, handed over): its connection's failure is no fault of its venue.
      if (this.#links.get(spec.accountId) !== l) return;
      await this.#fault(spec, e);
    }
  }

  /** Disconnects an account and forgets it (its creation failed after it was connected). */
  async drop(accountId: string): Promise<void> {
    this.#tracked.delete(accountId);
    this.#rates.delete(accountId);
    const l = this.#links.get(accountId);
    this.#links.delete(accountId);
    if (l) await this.#disconnect(l);
  }

  /** The accounts with a link here (those this instance keeps: it owns them). */
  linked(): string[] {
    return [...this.#links.keys()];
  }

  /** Whether the account has a core (recovered) on its venue. */
  isOpen(accountId: string): boolean {
    return (this.#links.get(accountId)?.core ?? null) !== null;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#tracked.clear();
    for (const l of this.#links.values()) await this.#disconnect(l);
  }

  async #disconnect(l: Link): Promise<void> {
    l.instruments?.close();
    l.instruments = null;
    const v = l.venue;
    l.venue = null;
    l.conn = null;
    await v?.close();
  }

  async #fault(spec: LiveAccountSpec, e: unknown): Promise<void> {
    const { cfg } = this;
    const l = this.#link(spec.accountId);
    const cause = (e as Error)?.cause;
    const ambiguous = maybeKeyRevoked(e) || maybeKeyRevoked(cause);
    l.keyRefusals = ambiguous ? l.keyRefusals + 1 : 0;
    const refused =
      isCredentialRefused(e) ||
      isCredentialRefused(cause) ||
      l.keyRefusals >= KEY_REFUSALS_TO_DISABLE;
    const reason = `${spec.venue}: ${(e as Error)?.message ?? String(e)}`;
    if (refused) {
      if (l.state === 'DISABLED') return;
      Object.assign(l, {
        state: 'DISABLED',
        reason: `key refused by the venue: ${reason}`,
        since: cfg.now(),
      });
      cfg.onLink?.(spec.accountId);
      await this.#disconnect(l);
      const message = `account ${spec.accountId}: ${spec.venue} refused its key (credential ${spec.credentialId}); the account takes no order`;
      cfg.onAlert({ kind: 'Alert', code: 'ACCOUNT_CREDENTIAL_REFUSED', message, ts: cfg.now() });
      await new AuditRepository(cfg.db, cfg.now).append({
        ts: cfg.now(),
        actor: 'venue',
        role: 'system',
        action: 'account.credential_refused',
        subject: spec.accountId,
        payload: { venue: spec.venue, credentialId: spec.credentialId, reason },
      });
      return;
    }
    const retryAt = banEnd(e, cfg.now());
    if (l.state === 'DOWN' && l.reason === reason && l.retryAt === retryAt) return;
    const wasUp = l.state === 'UP';
    Object.assign(l, {
      state: 'DOWN',
      reason,
      since: l.state === 'DOWN' ? l.since : cfg.now(),
      retryAt,
    });
    cfg.onLink?.(spec.accountId);
    if (wasUp)
      cfg.onAlert({
        kind: 'Alert',
        code: 'ACCOUNT_VENUE_DOWN',
        message: `account ${spec.accountId}: ${reason}`,
        ts: cfg.now(),
      });
  }

  #link(accountId: string): Link {
    let l = this.#links.get(accountId);
    if (!l) {
      l = {
        state: 'DOWN',
        reason: 'not connected yet',
        since: this.cfg.now(),
        confirmedAt: null,
        balances: [],
        conn: null,
        venue: null,
        core: null,
        instruments: null,
        keyRefusals: 0,
        retryAt: null,
      };
      this.#links.set(accountId, l);
      this.cfg.onLink?.(accountId);
    }
    return l;
  }
}

/** The instruments a recovered core trades now: those of its open orders and positions. */
export function inUse(core: TradingCore): string[] {
  const ids = new Set(core.exec.openOrders().map((o) => o.instrumentId));
  for (const p of core.ledger.allPositions()) if (!p.quantity.eq(0)) ids.add(p.instrumentId);
  return [...ids].sort();
}

/**
 * When a refusal for a ban ends (ms; `now` + its `retryAfterMs`: a request the gate did not send,
 * or a venue not ready under a ban); null for another failure.
 */
function banEnd(e: unknown, now: number): number | null {
  const ms = (e as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return e instanceof KairosError && e.code === 'VENUE_RATE_LIMITED' && typeof ms === 'number'
    ? now + ms
    : null;
}

/** An opening failure as the code a caller acts on. */
function venueError(spec: LiveAccountSpec, e: unknown): unknown {
  if (isCredentialRefused(e) || isCredentialRefused((e as Error)?.cause))
    return new KairosError(
      'CREDENTIAL_REFUSED',
      `credentialId: ${spec.venue} refused the key of credential ${spec.credentialId} (${(e as Error).message})`,
      { cause: e },
    );
  if (e instanceof KairosError) return e;
  if (isVenueBusy(e)) return e;
  return new KairosError(
    'VENUE_UNAVAILABLE',
    `${spec.venue}: ${(e as Error)?.message ?? String(e)}`,
    { cause: e },
  );
}
