import type { WebSocket } from 'ws';
import { BinanceError } from './binance-error.js';
import { verifySignedParams, type Credentials } from './signature.js';
import type { UserDataStream } from './user-data-stream.js';

type Request = { id?: unknown; method?: unknown; params?: unknown };

/**
 * The part of Binance's WebSocket API (`/ws-api/v3`) that ccxt's spot `watchOrders` /
 * `watchMyTrades` use: `userDataStream.subscribe.signature` (HMAC over the sorted params),
 * `userDataStream.unsubscribe`, plus `ping` and `time`. Answers are
 * `{id, status, result | error, rateLimits}`.
 *
 * @example
 * const api = new WsApi({ creds, userData, serverNow: () => Date.now() });
 * api.attach(ws);
 */
export class WsApi {
  constructor(
    private readonly deps: {
      readonly creds: Credentials;
      readonly userData: UserDataStream;
      readonly serverNow: () => number;
    },
  ) {}

  /** Serves a new `/ws-api/v3` connection. */
  attach(ws: WebSocket): void {
    ws.on('message', (data) => this.#onMessage(ws, String(data)));
  }

  #onMessage(ws: WebSocket, text: string): void {
    let req: Request;
    try {
      req = JSON.parse(text) as Request;
    } catch {
      ws.send(
        JSON.stringify({ id: null, status: 400, error: { code: -1100, msg: 'Invalid JSON.' } }),
      );
      return;
    }
    const id = req.id ?? null;
    const params = (
      typeof req.params === 'object' && req.params !== null ? req.params : {}
    ) as Record<string, unknown>;
    try {
      const result = this.#call(ws, String(req.method), params);
      ws.send(JSON.stringify({ id, status: 200, result, rateLimits: [] }));
    } catch (e) {
      if (!(e instanceof BinanceError)) throw e;
      ws.send(JSON.stringify({ id, status: e.status, error: e.body(), rateLimits: [] }));
    }
  }

  #call(ws: WebSocket, method: string, params: Record<string, unknown>): unknown {
    const { creds, userData, serverNow } = this.deps;
    switch (method) {
      case 'ping':
        return {};
      case 'time':
        return { serverTime: serverNow() };
      case 'userDataStream.subscribe.signature':
        verifySignedParams(params, creds, serverNow());
        return { subscriptionId: userData.subscribe(ws) };
      case 'userDataStream.unsubscribe': {
        const sub = params.subscriptionId;
        if (!userData.unsubscribe(ws, sub === undefined ? undefined : Number(sub)))
          throw new BinanceError(-2035, 'User Data Stream subscription not active.');
        return {};
      }
      default:
        throw new BinanceError(-1020, 'This operation is not supported.');
    }
  }
}
