import { WebSocket } from 'ws';

interface Conn {
  readonly combined: boolean;
  readonly streams: Set<string>;
}

type Request = { method?: unknown; params?: unknown; id?: unknown };

/**
 * Binance's public market streams: raw (`/ws`, `/ws/<stream>`) and combined
 * (`/stream?streams=a/b`, payloads wrapped as `{stream, data}`) connections, with live
 * SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS requests. The server publishes an event to a
 * stream name; only connections subscribed to it receive it.
 *
 * @example
 * const hub = new StreamHub((s) => s === 'btcusdt@trade');
 * hub.attach(ws, false, []);
 * if (hub.wanted('btcusdt@trade')) hub.publish('btcusdt@trade', tradeEvent);
 */
export class StreamHub {
  readonly #conns = new Map<WebSocket, Conn>();
  readonly #subscribers = new Map<string, number>();

  /** `valid` tells which stream names exist. */
  constructor(private readonly valid: (stream: string) => boolean) {}

  /** Serves a new connection, subscribed to `initial` (streams named in its URL). */
  attach(ws: WebSocket, combined: boolean, initial: readonly string[]): void {
    const conn: Conn = { combined, streams: new Set() };
    this.#conns.set(ws, conn);
    for (const s of initial) if (this.valid(s)) this.#add(conn, s);
    ws.on('message', (data) => this.#onMessage(ws, conn, String(data)));
    ws.on('close', () => {
      for (const s of conn.streams) this.#remove(conn, s);
      this.#conns.delete(ws);
    });
  }

  /** True when some connection listens to `stream` (so the event is worth building). */
  wanted(stream: string): boolean {
    return (this.#subscribers.get(stream) ?? 0) > 0;
  }

  /** The stream names someone listens to. */
  streams(): string[] {
    return [...this.#subscribers.keys()];
  }

  /** Sends an event to every connection subscribed to `stream`. */
  publish(stream: string, payload: unknown): void {
    if (!this.wanted(stream)) return;
    let raw: string | null = null;
    let wrapped: string | null = null;
    for (const [ws, conn] of this.#conns) {
      if (!conn.streams.has(stream) || ws.readyState !== WebSocket.OPEN) continue;
      if (conn.combined) ws.send((wrapped ??= JSON.stringify({ stream, data: payload })));
      else ws.send((raw ??= JSON.stringify(payload)));
    }
  }

  #add(conn: Conn, s: string): void {
    if (conn.streams.has(s)) return;
    conn.streams.add(s);
    this.#subscribers.set(s, (this.#subscribers.get(s) ?? 0) + 1);
  }

  #remove(conn: Conn, s: string): void {
    if (!conn.streams.delete(s)) return;
    const n = (this.#subscribers.get(s) ?? 1) - 1;
    if (n > 0) this.#subscribers.set(s, n);
    else this.#subscribers.delete(s);
  }

  #onMessage(ws: WebSocket, conn: Conn, text: string): void {
    let req: Request;
    try {
      req = JSON.parse(text) as Request;
    } catch {
      ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON' }, id: null }));
      return;
    }
    const id = req.id ?? null;
    const fail = (msg: string) =>
      ws.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: ${msg}` }, id }));
    const params = Array.isArray(req.params) ? (req.params as unknown[]) : [];
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const bad = params.find((p) => typeof p !== 'string' || !this.valid(p));
        if (bad !== undefined) return fail(`invalid stream name ${JSON.stringify(bad)}`);
        for (const p of params as string[])
          if (req.method === 'SUBSCRIBE') this.#add(conn, p);
          else this.#remove(conn, p);
        ws.send(JSON.stringify({ result: null, id }));
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        ws.send(JSON.stringify({ result: [...conn.streams], id }));
        return;
      case 'SET_PROPERTY':
        ws.send(JSON.stringify({ result: null, id }));
        return;
      case 'GET_PROPERTY':
        ws.send(JSON.stringify({ result: false, id }));
        return;
      default:
        fail(`unknown method ${JSON.stringify(req.method)}`);
    }
  }
}
