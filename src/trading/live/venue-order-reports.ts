import type { VenueOrderReport, VenueQueries } from '../execution/venue-queries.js';

/**
 * What the venue says of each of `ids`, asking as little as it may: an order the venue's
 * `openOrders()` answer (`listed`) holds under its own client order id, once and OPEN, is taken
 * from there; every other one is asked for by client order id, one after another (an
 * order the venue closed or never saw, one it does not list yet, or one listed under an id this
 * process cannot read back: a digest, UUID or integer form, `docs/venues-client-order-ids.md`,
 * which the look-up teaches the venue client).
 *
 * @example
 * const reports = await orderReports(venue, ['sma-1', 'sma-2'], await venue.openOrders());
 */
export async function orderReports(
  venue: Pick<VenueQueries, 'orderByClientId'>,
  ids: readonly string[],
  listed: readonly VenueOrderReport[],
): Promise<Map<string, VenueOrderReport | null>> {
  const open = new Map<string, VenueOrderReport | null>();
  for (const r of listed) {
    if (r.status !== 'OPEN') continue;
    // Twice under one id (two venue orders claim it): the look-up decides, as it did alone.
    open.set(r.clientOrderId, open.has(r.clientOrderId) ? null : r);
  }
  const reports = new Map<string, VenueOrderReport | null>();
  for (const id of ids) {
    const found = open.get(id);
    if (found) {
      reports.set(id, found);
      continue;
    }
    reports.set(id, await venue.orderByClientId(id));
  }
  return reports;
}
