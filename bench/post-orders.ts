// The load every order-entry benchmark puts on `POST /orders`: autocannon, 50 connections, a
// resting limit order each, a fresh Idempotency-Key each (when a token is given); as fast as the
// server answers (a closed loop), or at a fixed rate.
import autocannon from 'autocannon';

/** The order body every benchmark posts. */
export const BENCH_ORDER = {
  instrumentId: 'BTC/X',
  side: 'BUY',
  type: 'LIMIT',
  quantity: '1',
  price: '0.001',
} as const;

/**
 * Runs the load on `baseUrl`/orders for `seconds`; keys are `<keyPrefix>-<n>` ([A-Za-z0-9_-]).
 * With `rate`, the 50 connections together send that many requests a second (an open loop):
 * latencies then count from when each request was due, not when it went (autocannon's
 * correction for coordinated omission), so a server that falls behind shows it in its p99.
 */
export function postOrders(
  baseUrl: string,
  opts: { seconds: number; token?: string; keyPrefix?: string; rate?: number },
): Promise<autocannon.Result> {
  let n = 0;
  const prefix = (opts.keyPrefix ?? 'bench').replace(/\W/g, '_');
  return autocannon({
    url: `${baseUrl}/orders`,
    connections: 50,
    duration: opts.seconds,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: JSON.stringify(BENCH_ORDER),
    ...(opts.token
      ? {
          requests: [
            {
              setupRequest: (req) => ({
                ...req,
                headers: { ...req.headers, 'idempotency-key': `${prefix}-${++n}` },
              }),
            },
          ],
        }
      : {}),
  });
}
