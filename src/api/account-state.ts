import type { Instrument } from '../trading/model/instrument.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import type { AccountAccess } from './account-access.js';
import type { AccountDesk, ApiAccount, OrderReads } from './deps.js';
import { fillView } from './fill-view.js';
import { liveBalanceViews, livePositionViews } from './live-portfolio-views.js';
import { orderView } from './order-schemas.js';
import { balanceViews, positionViews } from './portfolio-views.js';

type Accounts = Pick<AccountDesk, 'trading' | 'venueLink' | 'instrumentsOf'>;

/** An account's positions as `GET /positions` shows them (a live account's: its venue's). */
export function accountPositions(accounts: Accounts, accountId: string) {
  const t = accounts.trading(accountId);
  const link = accounts.venueLink(accountId);
  if (!t) return [];
  return link ? livePositionViews(accountId, link, t.core) : positionViews(accountId, t.core);
}

/**
 * An account's balances as `GET /balances` shows them (a live account's: its venue's), in the
 * quote currencies of the instruments it trades (`instrumentsOf`, else `instruments`).
 */
export function accountBalances(
  accounts: Accounts,
  account: ApiAccount,
  instruments: readonly Instrument[],
) {
  const link = accounts.venueLink(account.id);
  if (link) return liveBalanceViews(account.id, link, account);
  const t = accounts.trading(account.id);
  return t
    ? balanceViews(account.id, t.core, accounts.instrumentsOf?.(account.id) ?? instruments)
    : [];
}

/** The most open orders a snapshot lists (newest first), as a page of `GET /orders`. */
export const SNAPSHOT_ORDERS = 500;
/** The most fills a snapshot lists (newest first), as a page of `GET /fills`. */
export const SNAPSHOT_FILLS = 500;

/**
 * The state of an account a WebSocket snapshot sends (`resumed: false`): its open orders the
 * caller sees, from the store as `GET /orders` reads them (on the shared account: their own and
 * their strategies'; the newest 500), its newest 500 fills as `GET /fills` reads them, its
 * positions or its balances as their routes read them (`portfolio`: from the account's core,
 * here or on its owner; refused with the route's code when neither answers, never an empty
 * list that would read as flat).
 *
 * @example
 * await accountState(accounts, access, reads, portfolio, claims, 'acc-1', 'orders');
 */
export async function accountState(
  accounts: Pick<AccountDesk, 'get'>,
  access: Pick<AccountAccess, 'orderScope'>,
  reads: Pick<OrderReads, 'page' | 'fillsPage'>,
  portfolio: (account: ApiAccount, kind: 'positions' | 'balances') => Promise<unknown[]>,
  claims: AccessClaims,
  accountId: string,
  kind: 'orders' | 'fills' | 'positions' | 'balances',
): Promise<unknown[]> {
  const account = accounts.get(accountId);
  if (!account) return [];
  if (kind === 'positions' || kind === 'balances') return portfolio(account, kind);
  const scope = await access.orderScope(claims, accountId);
  if (kind === 'fills')
    return (await reads.fillsPage(scope, { limit: SNAPSHOT_FILLS })).fills.map(fillView);
  const page = await reads.page(scope, { open: true, limit: SNAPSHOT_ORDERS });
  return page.orders.map(orderView);
}
