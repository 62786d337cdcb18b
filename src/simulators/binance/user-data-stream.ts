import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { BinanceErrors } from './binance-error.js';
import type { Faults } from './faults.js';

/** A listen key lives this long after its last keep-alive (Binance: 60 minutes). */
const LISTEN_KEY_TTL_MS = 60 * 60_000;

/**
 * The user data stream: listen keys (`POST/PUT/DELETE /api/v3/userDataStream`) with their
 * `/ws/<listenKey>` connections, and WebSocket API subscriptions
 * (`userDataStream.subscribe.signature`, events wrapped as `{subscriptionId, event}`). Every
 * `executionReport` and `outboundAccountPosition` goes to all of them, through the fault switches
 * (duplicated and reordered fills).
 *
 * @example
 * const uds = new UserDataStream(faults, () => Date.now());
 * const key = uds.create();
 * uds.publish({ e: 'executionReport', ... });
 */
export class UserDataStream {
  readonly #keys = new Map<string, number>();
  readonly #keyConns = new Map<WebSocket, string>();
  readonly #apiSubs = new Map<WebSocket, Set<number>>();

  constructor(
    private readonly faults: Faults,
    private readonly now: () => number,
  ) {}

  /** The live listen keys with the time of their last keep-alive (to save them). */
  listenKeys(): [string, number][] {
    return [...this.#keys];
  }

  /** Takes back saved listen keys (a restarted venue: a client's key still works). */
  restoreListenKeys(keys: readonly (readonly [string, number])[]): void {
    for (const [k, t] of keys) this.#keys.set(k, t);
  }

  /** A new listen key (valid for 60 minutes after each keep-alive). */
  create(): string {
    const key = randomBytes(30).toString('hex');
    this.#keys.set(key, this.now());
    return key;
  }

  /** True when `key` is a live listen key. */
  isKey(key: string): boolean {
    const t = this.#keys.get(key);
    if (t === undefined) return false;
    if (this.now() - t > LISTEN_KEY_TTL_MS) {
      this.remove(key);
      return false;
    }
    return true;
  }

  /** Extends a listen key; -1125 when it does not exist. */
  keepAlive(key: string): void {
    if (!this.isKey(key)) throw BinanceErrors.listenKeyUnknown();
    this.#keys.set(key, this.now());
  }

  /** Closes a listen key: its connections get `listenKeyExpired` and are closed. */
  remove(key: string): void {
    if (!this.#keys.delete(key)) throw BinanceErrors.listenKeyUnknown();
    for (const [ws, k] of this.#keyConns) {
      if (k !== key) continue;
      if (ws.readyState === WebSocket.OPEN)
        ws.send(JSON.stringify({ e: 'listenKeyExpired', E: this.now(), listenKey: key }));
      ws.close();
    }
  }

  /** Serves a `/ws/<listenKey>` connection. */
  attachListenKey(ws: WebSocket, key: string): void {
    this.#keyConns.set(ws, key);
    ws.on('close', () => this.#keyConns.delete(ws));
  }

  /** Adds WebSocket API subscription `id` on `ws` (ids are the connection's, given by the caller). */
  subscribe(ws: WebSocket, id: number): void {
    let subs = this.#apiSubs.get(ws);
    if (!subs) {
      const created = new Set<number>();
      subs = created;
      this.#apiSubs.set(ws, created);
      ws.on('close', () => this.#apiSubs.delete(ws));
    }
    subs.add(id);
  }

  /** Ends one subscription of `ws` (all when `id` is undefined); false when there was none. */
  unsubscribe(ws: WebSocket, id?: number): boolean {
    const subs = this.#apiSubs.get(ws);
    if (!subs) return false;
    if (id === undefined) {
      const had = subs.size > 0;
      subs.clear();
      return had;
    }
    return subs.delete(id);
  }

  /** Live listeners: listen-key connections plus WebSocket API subscriptions. */
  listeners(): number {
    let n = this.#keyConns.size;
    for (const subs of this.#apiSubs.values()) n += subs.size;
    return n;
  }

  /** Sends a user-data event to every listener (through the fault switches). */
  publish(event: Record<string, unknown>): void {
    this.faults.deliverUserEvent(event, () => this.#send(event));
  }

  #send(event: Record<string, unknown>): void {
    let raw: string | null = null;
    for (const ws of this.#keyConns.keys())
      if (ws.readyState === WebSocket.OPEN) ws.send((raw ??= JSON.stringify(event)));
    for (const [ws, subs] of this.#apiSubs) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      for (const subscriptionId of subs) ws.send(JSON.stringify({ subscriptionId, event }));
    }
  }
}
