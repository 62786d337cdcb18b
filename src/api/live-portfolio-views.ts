import type { AccountVenueLink } from './deps.js';
import { positionView, type PortfolioSource } from './portfolio-views.js';

/**
 * A live account's balances as its venue last confirmed them (`confirmedAt`): one row per
 * currency it holds there, `cash` and `equity` the venue's total (free and held by open orders).
 *
 * @example
 * liveBalanceViews('acc-1', link, { currency: 'USDT', startingCash: '1000' });
 */
export function liveBalanceViews(
  accountId: string,
  link: AccountVenueLink,
  account: { readonly currency: string | null; readonly startingCash: string | null },
) {
  return link.balances.map((b) => ({
    accountId,
    currency: b.currency,
    cash: b.total.toFixed(),
    startingCash: b.currency === account.currency ? (account.startingCash ?? '0') : '0',
    equity: b.total.toFixed(),
    source: 'venue' as const,
    confirmedAt: link.confirmedAt,
  }));
}

/**
 * A live account's positions: for each instrument its ledger has traded, the quantity is the
 * venue's holding of the base currency as last confirmed; prices, PnL and fees are Kairos's books.
 */
export function livePositionViews(
  accountId: string,
  link: AccountVenueLink,
  src: PortfolioSource & { instrument(id: string): { readonly base: string } | undefined },
) {
  return src.ledger.allPositions().map((p) => {
    const base = src.instrument(p.instrumentId)?.base;
    const held = link.balances.find((b) => b.currency === base);
    return {
      ...positionView(accountId, p, src.lastPrice(p.instrumentId)),
      quantity: held ? held.total.toFixed() : '0',
      source: 'venue' as const,
      confirmedAt: link.confirmedAt,
    };
  });
}
