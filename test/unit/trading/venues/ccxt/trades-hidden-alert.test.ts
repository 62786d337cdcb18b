import type { Exchange, Trade } from 'ccxt';
import type { Alert } from '../../../../../src/trading/model/alert.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { btcInstrument } from '../../../../support/paper-args.js';

const NOW = 1_800_000_000_000;
const AT = NOW - 3_600_000;

/**
 * A venue that pages our trades by time only and answers at most `limit` a request, saying so in
 * ccxt's `features` when `declared` (OKX says 100): three trades at one stamp, one after.
 */
function timePagedVenue(limit: number, declared = true) {
  const trades = ['b', 'a', 'c', 'd'].map((id, i) => ({
    id,
    timestamp: i < 3 ? AT : AT + 1,
    symbol: 'BTC/X',
    side: 'buy',
    amount: 0.001,
    price: 100,
    fee: { cost: 0, currency: 'X' },
    info: { c: `k-${id}` },
  }));
  const ordered = [...trades].sort((x, y) => x.timestamp - y.timestamp || x.id.localeCompare(y.id));
  return {
    id: 'okx',
    ...(declared ? { features: { spot: { fetchMyTrades: { limit } } } } : {}),
    async fetchMyTrades(_s: string, since?: number, _l?: number, params: { until?: number } = {}) {
      const from = since ?? -Infinity;
      const until = params.until ?? Infinity;
      const inRange = ordered.filter((t) => t.timestamp >= from && t.timestamp <= until);
      return (since === undefined ? inRange.slice(-limit) : inRange.slice(0, limit)) as Trade[];
    },
  } as unknown as Exchange;
}

describe('CcxtExecutionClient on a venue that pages trades by time', () => {
  const read = async (limit: number, declared = true) => {
    const alerts: Alert[] = [];
    const client = new CcxtExecutionClient(
      {
        exchange: timePagedVenue(limit, declared),
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => NOW,
        onAlert: (a) => alerts.push(a),
      },
      () => undefined,
    );
    const fills = await client.tradesSince(AT - 60_000);
    await client.close();
    return { fills: fills.map((f) => f.tradeId), alerts };
  };

  it('alerts VENUE_TRADES_HIDDEN for a stamp fuller than a page, and still reads the trades after it', async () => {
    const { fills, alerts } = await read(2);
    expect(fills).toEqual(['a', 'b', 'd']);
    expect(alerts.map((a) => a.code)).toEqual(['VENUE_TRADES_HIDDEN']);
    expect(alerts[0]!.message).toContain(`stamped ${AT}`);
  });

  it('reads past a page cut by a bound the venue does not state (it cannot alert then)', async () => {
    const { fills, alerts } = await read(2, false);
    expect(fills).toEqual(['a', 'b', 'd']);
    expect(alerts).toEqual([]);
  });

  it('reads every trade with no alert when each stamp fits a page', async () => {
    const { fills, alerts } = await read(1_000);
    expect(fills).toEqual(['a', 'b', 'c', 'd']);
    expect(alerts).toEqual([]);
  });
});
