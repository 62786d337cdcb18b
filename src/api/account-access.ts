import { seesEveryAccount } from '../security/roles/permissions.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import type { OrderScope } from '../store/order-repository.js';
import { KairosError } from '../trading/core/errors.js';
import { accountOwnerUnavailable } from './account-owner.js';
import { ownerOf } from './authenticated-context.js';
import type { AccountDesk, AccountTrading, AccountVenueLink, ApiAccount } from './deps.js';

/** Who asks: the user and role of a verified token (or of a command another instance handed over). */
export type Caller = Pick<AccessClaims, 'sub' | 'role'>;

/**
 * Who sees which account, one rule for every route and the WebSocket
 * (`docs/decisions/accounts.md`): a user sees their own accounts and the shared one (on it, only
 * their own orders and their strategies'); the oversight roles (`seesEveryAccount`) see every
 * account and every order on it. An account a caller may not see is not found
 * (`ACCOUNT_NOT_FOUND`), exactly like one that does not exist.
 *
 * @example
 * const access = new AccountAccess(accounts, (userId) => strategies.ownedIds(userId));
 * const scope = await access.orderScope(claims, req.query.accountId);
 */
export class AccountAccess {
  constructor(
    private readonly accounts: AccountDesk,
    /** The strategy ids of the instances a user started (their orders on the shared account). */
    private readonly strategiesOf: (userId: string) => Promise<readonly string[]>,
  ) {}

  /** The accounts the caller sees, oldest first (the shared one first). */
  visible(claims: AccessClaims): ApiAccount[] {
    return this.accounts.all().filter((a) => this.#sees(claims, a));
  }

  /** One account the caller sees; else `ACCOUNT_NOT_FOUND` naming `field`. */
  find(claims: Caller, id: string, field = 'account'): ApiAccount {
    const a = this.accounts.get(id);
    if (!a || !this.#sees(claims, a)) throw notFound(id, field);
    return a;
  }

  /** What a read route's `?accountId=` names: that one account, else every account seen. */
  readable(claims: AccessClaims, accountId: string | undefined): ApiAccount[] {
    return accountId === undefined
      ? this.visible(claims)
      : [this.find(claims, accountId, 'accountId')];
  }

  /** One of the caller's own accounts (not the shared one); else `ACCOUNT_NOT_FOUND`. */
  own(claims: AccessClaims, id: string, field = 'account'): ApiAccount {
    const a = this.accounts.get(id);
    if (!a || a.ownerUserId !== claims.sub) throw notFound(id, field);
    return a;
  }

  /**
   * The account the caller trades on: `accountId` (theirs, or the shared one), else their
   * default account, else the shared one. Closed: `ACCOUNT_DISABLED`; a live account whose venue
   * is down: `ACCOUNT_VENUE_DOWN`; whose key the venue refused: `ACCOUNT_CREDENTIAL_REFUSED`.
   */
  forTrading(
    claims: Caller,
    accountId: string | undefined,
  ): { account: ApiAccount; trading: AccountTrading } {
    const id = this.tradingAccountId(claims, accountId);
    const a = this.accounts.get(id);
    if (!a || !(a.shared || a.ownerUserId === claims.sub)) throw notFound(id, 'body.accountId');
    if (this.accounts.isClosed(id)) throw closed(id, 'new order');
    // A live account whose venue is down or refused its key takes no new order, its core here or not.
    linkRefusal(id, this.accounts.venueLink(id), 'new order');
    return { account: a, trading: this.tradingHere(id) };
  }

  /**
   * A known account's trading core on this instance; a closed one's, never (`ACCOUNT_DISABLED`:
   * it takes no order or cancel, and a live one's venue is not watched). Not here, it is never
   * answered as if it had no order or position: the refusal says why (a live account whose venue was down, or
   * refused its key, when its core was to open: `ACCOUNT_VENUE_DOWN`,
   * `ACCOUNT_CREDENTIAL_REFUSED`; else another instance trades it, or it is being taken over
   * or opened: 503 `ACCOUNT_OWNER_UNAVAILABLE` with `Retry-After`).
   */
  tradingHere(id: string, what = 'order'): AccountTrading {
    if (isStoredClosed(this.accounts.get(id))) throw closed(id, what);
    const trading = this.accounts.trading(id);
    if (trading) return trading;
    linkRefusal(id, this.accounts.venueLink(id), what);
    throw accountOwnerUnavailable(id);
  }

  /** The id of the account `forTrading` takes: `accountId`, else the default, else the shared one. */
  tradingAccountId(claims: Caller, accountId: string | undefined): string {
    return accountId ?? this.accounts.defaultOf(claims.sub) ?? sharedId(this.accounts);
  }

  /** Which orders the caller reads: every visible account's, or only `accountId`'s. */
  async orderScope(claims: AccessClaims, accountId?: string): Promise<OrderScope> {
    const every = seesEveryAccount(claims.role);
    if (accountId === undefined && every) return null;
    const accounts = this.readable(claims, accountId);
    const shared = accounts.some((a) => a.shared && !every) ? await this.#ownersOf(claims) : null;
    return accounts.map((a) => ({
      accountId: a.id,
      owners: a.shared && !every ? shared : null,
    }));
  }

  /** Whether the caller sees an order of `strategyId` on `accountId`. */
  async seesOrder(claims: Caller, accountId: string, strategyId: string): Promise<boolean> {
    const a = this.accounts.get(accountId);
    if (!a || !this.#sees(claims, a)) return false;
    if (!a.shared || seesEveryAccount(claims.role)) return true;
    return (await this.#ownersOf(claims)).includes(strategyId);
  }

  /** Whether the caller may halt the account: their own, or any for an oversight role. */
  mayHalt(claims: AccessClaims, account: ApiAccount): boolean {
    return seesEveryAccount(claims.role) || account.ownerUserId === claims.sub;
  }

  #sees(claims: Caller, a: ApiAccount): boolean {
    return a.shared || a.ownerUserId === claims.sub || seesEveryAccount(claims.role);
  }

  async #ownersOf(claims: Caller): Promise<string[]> {
    return [ownerOf(claims), ...(await this.strategiesOf(claims.sub))];
  }
}

function sharedId(accounts: AccountDesk): string {
  const shared = accounts.all().find((a) => a.shared);
  if (!shared) throw new KairosError('ACCOUNT_NOT_FOUND', 'accountId: you have no account');
  return shared.id;
}

/** Throws the refusal of a live account whose venue link is down or disabled (`what`: of what). */
function linkRefusal(id: string, link: AccountVenueLink | null, what: string): void {
  if (link?.state === 'DISABLED')
    throw new KairosError(
      'ACCOUNT_CREDENTIAL_REFUSED',
      `accountId: account ${id} takes no ${what}: ${link.reason ?? 'its key was refused'}; store a new key and open a new account`,
    );
  if (link?.state === 'DOWN') {
    const err = new KairosError(
      'ACCOUNT_VENUE_DOWN',
      `accountId: account ${id} takes no ${what} while its venue is down (${link.reason ?? 'no answer'}, since ${new Date(link.since).toISOString()})`,
    );
    // Under a ban: `Retry-After` names its end.
    const left = (link.retryAt ?? 0) - Date.now();
    throw left > 0 ? Object.assign(err, { retryAfterS: Math.ceil(left / 1000) }) : err;
  }
}

/** Closed (`DELETE /accounts/{id}`, stored), as opposed to being closed now (`isClosed`). */
export function isStoredClosed(a: ApiAccount | undefined): boolean {
  return a !== undefined && a.disabledAt !== null;
}

/** An account closed: 409 `ACCOUNT_DISABLED` naming the state, `why` and the way back. */
export function closed(id: string, what: string, why = `it takes no ${what}`): KairosError {
  return new KairosError(
    'ACCOUNT_DISABLED',
    `accountId: account ${id} is closed: ${why}; its orders and fills stay readable (GET /orders, /fills); POST /accounts/${id}/reopen opens it again`,
  );
}

function notFound(id: string, field: string): KairosError {
  return new KairosError('ACCOUNT_NOT_FOUND', `${field}: account ${id} not found`);
}
