import type { WebSocket } from 'ws';
import { BinanceError } from './binance-error.js';
import { verifySignedParams, type Credentials, type KeyRing } from './signature.js';
import type { UserDataStream } from './user-data-stream.js';

type Request = { id?: unknown; method?: unknown; params?: unknown };

/**
 * The part of Binance's WebSocket API (`/ws-api/v3`) that ccxt's spot `watchOrders` /
 * `watchMyTrades` use: `userDataStream.subscribe.signature` (HMAC over the sorted params),
 * `userDataStream.unsubscribe`, plus `ping` and `time`. Answers are
 * `{id, status, result | error, rateLimits}`.
 *
 * @example
 * const api = new WsApi({ keys: creds, userDataOf: () => userData, serverNow: () => Date.now() });
 * api.attach(ws);
 */
export class WsApi {
  readonly #subs = new Map<WebSocket, Map<number, UserDataStream>>();
  readonly #next = new Map<WebSocket, number>();

  constructor(
    private readonly deps: {
      /** The accounts' key pairs. */
      readonly keys: KeyRing;
      /** The user data stream of the account a key pair belongs to. */
      readonly userDataOf: (creds: Credentials) => UserDataStream;
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
    const { keys, userDataOf, serverNow } = this.deps;
    switch (method) {
      case 'ping':
        return {};
      case 'time':
        return { serverTime: serverNow() };
      case 'userDataStream.subscribe.signature': {
        const stream = userDataOf(verifySignedParams(params, keys, serverNow()));
        // Subscription ids count per connection, whichever account each belongs to.
        const subs = this.#subs.get(ws) ?? new Map<number, UserDataStream>();
        if (!this.#subs.has(ws)) {
          this.#subs.set(ws, subs);
          ws.on('close', () => {
            this.#subs.delete(ws);
            this.#next.delete(ws);
          });
        }
        const subscriptionId = this.#next.get(ws) ?? 0;
        this.#next.set(ws, subscriptionId + 1);
        stream.subscribe(ws, subscriptionId);
        subs.set(subscriptionId, stream);
        return { subscriptionId };
      }
      case 'userDataStream.unsubscribe': {
        const sub = params.subscriptionId;
        const subs = this.#subs.get(ws);
        let ended = false;
        if (sub === undefined) {
          for (const [id, stream] of subs ?? []) ended = stream.unsubscribe(ws, id) || ended;
          subs?.clear();
        } else {
          const id = Number(sub);
          ended = subs?.get(id)?.unsubscribe(ws, id) ?? false;
          subs?.delete(id);
        }
        if (!ended) throw new BinanceError(-2035, 'User Data Stream subscription not active.');
        return {};
      }
      default:
        throw new BinanceError(-1020, 'This operation is not supported.');
    }
  }
}
