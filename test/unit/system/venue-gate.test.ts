import { VenueGate } from '../../../src/system/venue-gate.js';
import type { NodeVenue } from '../../../src/trading/live/trading-core.js';
import { bar, newOrder } from '../../support/builders.js';

/** A venue that records the calls it gets. */
function recording() {
  const calls: string[] = [];
  const venue: NodeVenue = {
    submit: (o) => void calls.push(`submit ${o.clientOrderId}`),
    cancel: (id) => void calls.push(`cancel ${id}`),
    onBar: () => void calls.push('bar'),
    orderByClientId: async () => null,
    openOrders: async () => [],
    tradesSince: async () => [],
  };
  return { venue, calls };
}

describe('VenueGate', () => {
  it('passes every call while open; once closed, refuses sends with LEASE_LOST and drops bars, queries still answer', async () => {
    const { venue, calls } = recording();
    const gate = new VenueGate();
    const v = gate.wrap(venue);
    v.submit(newOrder({}, 'c-1'), 1);
    v.cancel('c-1', 2);
    v.onBar(bar(1, 1, 1, 1, 60_000));
    expect(calls).toEqual(['submit c-1', 'cancel c-1', 'bar']);
    expect(gate.closed).toBe(false);

    gate.close('lease account:a1 taken');
    gate.close('a second reason is not kept');
    expect(gate.closed).toBe(true);
    expect(() => v.submit(newOrder({}, 'c-2'), 3)).toThrow(
      expect.objectContaining({
        code: 'LEASE_LOST',
        message: expect.stringContaining('lease account:a1 taken'),
      }),
    );
    expect(() => v.cancel('c-1', 4)).toThrow(expect.objectContaining({ code: 'LEASE_LOST' }));
    v.onBar(bar(1, 1, 1, 1, 120_000));
    expect(calls).toEqual(['submit c-1', 'cancel c-1', 'bar']);
    // Reconciliation's questions still reach the venue (they send nothing).
    expect(await v.orderByClientId('c-1')).toBeNull();
  });
});
