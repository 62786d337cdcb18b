// The load every order-entry benchmark puts on `POST /orders`: autocannon, 50 connections, a
// resting limit order each, a fresh Idempotency-Key each (when a token is given).
import autocannon from 'autocannon';

/** The order body every benchmark posts. */
export const BENCH_ORDER = {
  instrumentId: 'BTC/X',
  side: 'BUY',
  type: 'LIMIT',
  quantity: '1',
  price: '0.001',
} as const;

/** Runs the load on `baseUrl`/orders for `seconds`; keys are `<keyPrefix>-<n>` ([A-Za-z0-9_-]). */
export function postOrders(
  baseUrl: string,
  opts: { seconds: number; token?: string; keyPrefix?: string },
): Promise<autocannon.Result> {
  let n = 0;
  const prefix = (opts.keyPrefix ?? 'bench').replace(/\W/g, '_');
  return autocannon({
    url: `${baseUrl}/orders`,
    connections: 50,
    duration: opts.seconds,
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
