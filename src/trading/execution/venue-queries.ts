import type { Decimal } from '../core/decimal.js';
import type { Fill } from '../model/fill.js';

/** What a venue says about one order. */
export interface VenueOrderReport {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly status: 'OPEN' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
  readonly filledQuantity: Decimal;
  readonly reason: string | null;
}

/**
 * The questions reconciliation asks a venue: by client order id, open orders, own trades since a
 * time. Venue adapters implement it (the paper venue, ccxt venues).
 *
 * @example
 * const report = await venue.orderByClientId('sma-12');
 */
export interface VenueQueries {
  orderByClientId(clientOrderId: string): Promise<VenueOrderReport | null>;
  openOrders(): Promise<readonly VenueOrderReport[]>;
  tradesSince(ts: number): Promise<readonly Fill[]>;
}
