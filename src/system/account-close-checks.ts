import { KairosError } from '../trading/core/errors.js';
import { loadLedger } from '../trading/live/ledger-start.js';
import type { OrderStore } from '../trading/execution/order-store.js';
import type { Position } from '../trading/model/position.js';
import type { FillCurrencies } from '../trading/portfolio/booked-fill.js';
import { Ledger } from '../trading/portfolio/ledger.js';
import type { AccountRuntime } from './account-runtime.js';

/**
 * Throws why an account may not be closed now (its core settled): an open order
 * (`ACCOUNT_HAS_OPEN_ORDERS`), a position (`ACCOUNT_NOT_FLAT`) or a strategy running on it
 * (`ACCOUNT_IN_USE`), each naming what to do first.
 *
 * @example
 * checkClosable('acc-1', runtime, (id) => host.runsOn(id));
 */
export function checkClosable(
  accountId: string,
  rt: AccountRuntime,
  inUse: (accountId: string) => boolean,
): void {
  refuseOpenOrders(accountId, rt.core.exec.openOrders().length);
  refusePositions(accountId, rt.core.ledger.allPositions());
  refuseInUse(accountId, inUse);
}

/**
 * The same checks for an account whose core is not open here (a live account whose venue was
 * down when it was to open), from what its core would recover: its unfinished orders and the
 * positions its stored fills make (`loadLedger`, as recovery books them). Closing needs no venue.
 *
 * @example
 * await checkClosableStored('acc-1', orders, (id) => market.instrument('binance', id), inUse);
 */
export async function checkClosableStored(
  accountId: string,
  orders: Pick<OrderStore, 'ledgerStart'> & { unfinishedCount(): Promise<number> },
  currencies: (instrumentId: string) => FillCurrencies,
  inUse: (accountId: string) => boolean,
): Promise<void> {
  refuseOpenOrders(accountId, await orders.unfinishedCount());
  const ledger = new Ledger({});
  await loadLedger(orders, ledger, currencies);
  refusePositions(accountId, ledger.allPositions());
  refuseInUse(accountId, inUse);
}

function refuseOpenOrders(accountId: string, open: number): void {
  if (open > 0)
    throw new KairosError(
      'ACCOUNT_HAS_OPEN_ORDERS',
      `account ${accountId}: ${open} open order(s); cancel them first`,
    );
}

function refusePositions(accountId: string, positions: readonly Position[]): void {
  const held = positions.filter((p) => !p.quantity.eq(0));
  if (held.length > 0)
    throw new KairosError(
      'ACCOUNT_NOT_FLAT',
      `account ${accountId}: holds ${held.map((p) => `${p.quantity.toFixed()} ${p.instrumentId}`).join(', ')}; close the position(s) first`,
    );
}

function refuseInUse(accountId: string, inUse: (accountId: string) => boolean): void {
  if (inUse(accountId))
    throw new KairosError(
      'ACCOUNT_IN_USE',
      `account ${accountId}: a strategy runs on it; stop it first`,
    );
}
