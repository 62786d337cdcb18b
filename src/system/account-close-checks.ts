import { KairosError } from '../trading/core/errors.js';
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
  const open = rt.core.exec.openOrders();
  if (open.length > 0) {
    throw new KairosError(
      'ACCOUNT_HAS_OPEN_ORDERS',
      `account ${accountId}: ${open.length} open order(s); cancel them first`,
    );
  }
  const held = rt.core.ledger.allPositions().filter((p) => !p.quantity.eq(0));
  if (held.length > 0) {
    throw new KairosError(
      'ACCOUNT_NOT_FLAT',
      `account ${accountId}: holds ${held.map((p) => `${p.quantity.toFixed()} ${p.instrumentId}`).join(', ')}; close the position(s) first`,
    );
  }
  if (inUse(accountId)) {
    throw new KairosError(
      'ACCOUNT_IN_USE',
      `account ${accountId}: a strategy runs on it; stop it first`,
    );
  }
}
