import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../../src/trading/bus/topics.js';
import { quantity } from '../../../../src/trading/core/money.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import type {
  VenueOrderReport,
  VenueQueries,
} from '../../../../src/trading/execution/venue-queries.js';
import { reconcile } from '../../../../src/trading/live/reconciler.js';
import { orderReports } from '../../../../src/trading/live/venue-order-reports.js';
import type { Alert } from '../../../../src/trading/model/alert.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import { fill } from '../../../support/builders.js';

/** A trade of `clientOrderId` at the venue `SIM`. */
const tradeOf = (clientOrderId: string, tradeId: string): Fill => ({
  ...fill('BUY', '100', '1', '0.1', tradeId),
  clientOrderId,
  ts: 60,
});

const report = (
  clientOrderId: string,
  status: VenueOrderReport['status'],
  venueOrderId = `v-${clientOrderId}`,
): VenueOrderReport => ({
  clientOrderId,
  venueOrderId,
  status,
  filledQuantity: quantity('0'),
  reason: null,
});

/** A venue that answers from fixed lists and counts the look-ups by client order id. */
function venueOf(trades: readonly Fill[], listed: readonly VenueOrderReport[] = []) {
  const asked: string[] = [];
  const venue: VenueQueries = {
    orderByClientId: async (id) => (asked.push(id), null),
    openOrders: async () => listed,
    tradesSince: async () => trades,
  };
  return { venue, asked };
}

describe('reconcile: trades already stored are not news', () => {
  /** An OMS that holds no order (a restart whose orders are all closed), and its alerts. */
  function node() {
    const bus = new MessageBus();
    const alerts: Alert[] = [];
    bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
    const none = () => undefined;
    return { bus, alerts, exec: new ExecutionEngine(bus, () => ({ submit: none, cancel: none })) };
  }

  it("a stored trade of an order no longer open (not restored) raises no drift, by the venue's trade key", async () => {
    const { bus, alerts, exec } = node();
    const { venue } = venueOf([tradeOf('done-1', 't-1')]);
    const r = await reconcile(exec, venue, bus, 50, 100, new Set(['SIM:t-1']));
    expect(r).toEqual({ resolved: [], fillsApplied: 0, drift: [] });
    expect(alerts).toEqual([]);
  });

  it('a trade of an order unknown here, not stored, is drift (the same trade id on another venue included)', async () => {
    const { bus, alerts, exec } = node();
    const { venue } = venueOf([tradeOf('ghost-1', 't-1'), tradeOf('ghost-2', 't-2')]);
    const r = await reconcile(exec, venue, bus, 50, 100, new Set(['OTHER:t-1', 't-2']));
    expect(r.drift).toEqual([
      'trade t-1 for unknown order ghost-1',
      'trade t-2 for unknown order ghost-2',
    ]);
    expect(alerts.map((a) => [a.code, a.message, a.ts])).toEqual([
      ['RECONCILIATION_DRIFT', 'trade t-1 for unknown order ghost-1', 100],
      ['RECONCILIATION_DRIFT', 'trade t-2 for unknown order ghost-2', 100],
    ]);
  });
});

describe('orderReports: only an OPEN listing answers for an order', () => {
  it('asks by client order id for an order the open-orders answer lists in another state', async () => {
    const { venue, asked } = venueOf([]);
    const listed = [report('a', 'OPEN'), report('b', 'FILLED'), report('c', 'CANCELED')];
    const reports = await orderReports(venue, ['a', 'b', 'c'], listed);
    expect(asked).toEqual(['b', 'c']);
    expect([...reports]).toEqual([
      ['a', listed[0]],
      ['b', null],
      ['c', null],
    ]);
  });
});
