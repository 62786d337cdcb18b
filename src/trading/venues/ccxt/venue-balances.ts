import type { Exchange } from 'ccxt';
import type { Decimal } from '../../core/decimal.js';
import { dec } from './ccxt-reports.js';

/** One currency's balance at the venue: free, held by open orders, and their total. */
export interface VenueBalance {
  readonly currency: string;
  readonly free: Decimal;
  readonly used: Decimal;
  readonly total: Decimal;
}

interface RawBalance {
  readonly asset?: unknown;
  readonly free?: unknown;
  readonly locked?: unknown;
}

/**
 * The account's balances as the venue states them, exact: Binance's own decimal strings
 * (`info.balances`) when present, else ccxt's unified numbers. Currencies with nothing are left
 * out.
 *
 * @example
 * const usdt = (await fetchVenueBalances(exchange)).find((b) => b.currency === 'USDT');
 */
export async function fetchVenueBalances(exchange: Exchange): Promise<VenueBalance[]> {
  const b = await exchange.fetchBalance();
  const raw = (b.info as { balances?: readonly RawBalance[] } | undefined)?.balances;
  const out: VenueBalance[] = [];
  if (Array.isArray(raw)) {
    for (const r of raw) {
      if (typeof r.asset !== 'string') continue;
      const free = dec(r.free);
      const used = dec(r.locked);
      out.push({ currency: r.asset, free, used, total: free.plus(used) });
    }
  } else {
    const totals = (b.total ?? {}) as unknown as Record<string, unknown>;
    const frees = (b.free ?? {}) as unknown as Record<string, unknown>;
    const useds = (b.used ?? {}) as unknown as Record<string, unknown>;
    for (const c of Object.keys(totals))
      out.push({ currency: c, free: dec(frees[c]), used: dec(useds[c]), total: dec(totals[c]) });
  }
  return out.filter((x) => !x.total.eq(0)).sort((x, y) => x.currency.localeCompare(y.currency));
}
