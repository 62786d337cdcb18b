import type { Exchange, Trade } from 'ccxt';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { btcInstrument } from '../../../../support/paper-args.js';
import { until } from '../../../../support/until.js';

/**
 * `close` waits for a stream loop still in its watch (one before its socket opens it after the
 * close), but not past the exchange's timeout: a watch that never settles must not hold a
 * shutdown.
 */
describe('CcxtExecutionClient.close and a watch that never settles', () => {
  it('resolves after about the stream exchange’s timeout, having closed it again meanwhile', async () => {
    let watches = 0;
    let closes = 0;
    const ws = {
      id: 'bitfinex',
      has: { watchMyTrades: true },
      clients: { socket: {} } as Record<string, unknown>,
      timeout: 200,
      watchMyTrades: () => {
        watches++;
        return new Promise<Trade[]>(() => undefined);
      },
      close: async () => {
        closes++;
      },
    };
    const client = new CcxtExecutionClient(
      {
        exchange: { id: 'bitfinex', has: {} } as unknown as Exchange,
        stream: ws as unknown as Exchange,
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => 0,
        order: () => undefined,
      },
      () => undefined,
    );
    client.start();
    await until(() => watches === 1, 5_000, 'the watch started');
    const from = performance.now();
    await client.close();
    const took = performance.now() - from;
    // It waited (the loop was in its watch), closing the socket it found each time...
    expect(took).toBeGreaterThanOrEqual(150);
    expect(closes).toBeGreaterThan(2);
    // ...and gave up near the timeout, not never.
    expect(took).toBeLessThan(5_000);
  });
});
