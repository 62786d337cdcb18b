import { Type } from '@fastify/type-provider-typebox';
import type { Decimal } from '../trading/core/decimal.js';
import type { Instrument } from '../trading/model/instrument.js';
import { openCost, unrealizedPnl, type Position } from '../trading/model/position.js';
import type { Ledger } from '../trading/portfolio/ledger.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

/** Where a figure comes from, and when the venue last confirmed it. */
function Confirmation() {
  return {
    source: Type.Union([Type.Literal('ledger'), Type.Literal('venue')], {
      description:
        "`ledger`: Kairos's books (a paper account); `venue`: what the venue said (a live account)",
    }),
    confirmedAt: Type.Union([Type.Integer(), Type.Null()], {
      description: 'when the venue last confirmed it (ms; null for a paper account)',
    }),
  };
}

/** A figure from Kairos's own books. */
const LEDGER = { source: 'ledger' as const, confirmedAt: null };

/** A position as the API shows it: decimals as strings, quantity signed (< 0 short). */
export const PositionView = Type.Object({
  accountId: Type.String(),
  instrumentId: Type.String(),
  quantity: Type.String(),
  averagePrice: NullableString,
  lastPrice: NullableString,
  unrealizedPnl: NullableString,
  realizedPnl: Type.String(),
  fees: Type.String(),
  openedAt: Type.Union([Type.Integer(), Type.Null()]),
  ...Confirmation(),
});

/** A balance: cash, the starting cash, and equity (cash plus positions at the last price). */
export const BalanceView = Type.Object({
  accountId: Type.String(),
  currency: Type.String(),
  cash: Type.String(),
  startingCash: Type.String(),
  equity: Type.String(),
  ...Confirmation(),
});

/** What the views read of an account's core. */
export interface PortfolioSource {
  readonly ledger: Pick<Ledger, 'allPositions' | 'cash' | 'startingCash' | 'equity'>;
  lastPrice(instrumentId: string): Decimal | null;
}

/** One position's view. */
export function positionView(accountId: string, p: Position, mark: Decimal | null) {
  const open = !p.quantity.eq(0);
  return {
    accountId,
    instrumentId: p.instrumentId,
    quantity: p.quantity.toFixed(),
    averagePrice: open ? openCost(p).div(p.quantity).toFixed() : null,
    lastPrice: mark?.toFixed() ?? null,
    unrealizedPnl: mark ? unrealizedPnl(p, mark).toFixed() : null,
    realizedPnl: p.realizedPnl.toFixed(),
    fees: p.fees.toFixed(),
    openedAt: p.openedAt,
    ...LEDGER,
  };
}

/** Every position of an account's ledger. */
export function positionViews(accountId: string, src: PortfolioSource) {
  return src.ledger
    .allPositions()
    .map((p) => positionView(accountId, p, src.lastPrice(p.instrumentId)));
}

/** An account's balance per quote currency of `instruments` (or only `currency`). */
export function balanceViews(
  accountId: string,
  src: PortfolioSource,
  instruments: readonly Instrument[],
  currency?: string,
) {
  const marks = new Map<string, Decimal>();
  const quote = new Map<string, string>();
  for (const i of instruments) {
    quote.set(i.id, i.quote);
    const last = src.lastPrice(i.id);
    if (last) marks.set(i.id, last);
  }
  const currencies = [...new Set(instruments.map((i) => i.quote))]
    .filter((c) => currency === undefined || c === currency)
    .sort();
  return currencies.map((c) => ({
    accountId,
    currency: c,
    cash: src.ledger.cash(c).toFixed(),
    startingCash: src.ledger.startingCash(c).toFixed(),
    equity: src.ledger.equity(c, marks, (id) => quote.get(id) ?? '').toFixed(),
    ...LEDGER,
  }));
}
