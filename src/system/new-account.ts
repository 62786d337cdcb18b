import { toDecimal, type Decimal } from '../trading/core/decimal.js';
import { KairosError } from '../trading/core/errors.js';
import type { LiveAccounts } from './live-accounts.js';

/** What a user asks for in `POST /accounts`. */
export interface NewAccount {
  readonly name: string;
  readonly mode: 'paper' | 'live';
  /** Live: the venue (one of the server's `--venue`s). */
  readonly venue?: string;
  /** Paper: the starting cash, a decimal string in the instrument's quote currency. */
  readonly startingCash?: string;
  /** Live: the stored credential to trade with. */
  readonly credentialId?: string;
  /** Make it the owner's default account (the first one always is). */
  readonly default?: boolean;
}

/** A paper account's starting cash: required, greater than 0 (`ACCOUNT_INVALID` naming it). */
export function paperStartingCash(req: NewAccount): Decimal {
  if (req.startingCash === undefined)
    throw new KairosError('ACCOUNT_INVALID', 'startingCash: required for a paper account');
  const cash = toDecimal(req.startingCash);
  if (!cash.gt(0)) throw new KairosError('ACCOUNT_INVALID', 'startingCash: must be greater than 0');
  return cash;
}

/**
 * A live account's request: a venue (the error lists the server's), a credential, no starting
 * cash (it trades the venue balance); `ACCOUNT_INVALID` naming the field otherwise.
 */
export function checkLiveRequest(
  req: NewAccount,
  live: Pick<LiveAccounts, 'venues'> | null,
): asserts req is NewAccount & { readonly venue: string; readonly credentialId: string } {
  if (req.venue === undefined)
    throw new KairosError(
      'ACCOUNT_INVALID',
      `venue: required for a live account (this server has: ${live?.venues().join(', ') || 'none'})`,
    );
  if (req.startingCash !== undefined)
    throw new KairosError(
      'ACCOUNT_INVALID',
      'startingCash: only for a paper account (a live account trades the venue balance)',
    );
  if (req.credentialId === undefined)
    throw new KairosError('ACCOUNT_INVALID', 'credentialId: required for a live account');
}
