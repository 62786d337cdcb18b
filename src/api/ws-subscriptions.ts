import { KairosError } from '../trading/core/errors.js';
import {
  isMarket,
  logChannelOf,
  marketChannel,
  type Channel,
  type MarketChannel,
} from './ws-channels.js';
import { accountsOf, type WsClient } from './ws-client.js';
import type { FrameLog } from './ws-frame-log.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';
import { instrumentKey, namedChannel, type InstrumentKey } from './ws-instruments.js';
import { AccountRefusal, type Resumes } from './ws-resume.js';
import type { VenueWatches } from './ws-venue-watches.js';

/** What the subscriptions work with. */
export interface SubscriptionsOptions {
  /** The replay's instruments, the venues, who sees which account. */
  readonly gateway: Pick<
    WsGatewayOptions,
    'instruments' | 'market' | 'visibleAccounts' | 'accountOwner'
  >;
  readonly frames: Pick<FrameLog, 'sync' | 'pushed' | 'requestSync'>;
  readonly watches: Pick<VenueWatches, 'acquire' | 'release' | 'isVenue'>;
  readonly resumer: Pick<Resumes, 'resume' | 'snapshotThenLive'>;
  /** Sends a frame to a client (`pushTo`, back-pressure included). */
  push(c: WsClient, message: unknown): void;
}

/**
 * An account whose snapshot was refused: one a `subscribe` resumed (the `after` it asked), or
 * one of `risk` that starts with a snapshot (`after` null).
 */
export interface RefusedAccount {
  readonly refusal: AccountRefusal;
  readonly after: number | null;
}

const NONE: readonly RefusedAccount[] = [];

/**
 * A client's `subscribe` and `unsubscribe` of a channel: for an account's channels, every
 * account the user sees; for the market channels, the instruments named (the replay's bars by
 * default), a venue's symbol streamed from the venue while someone wants it. Each account or
 * instrument starts live from now on, resumed after the client's `after`, or (`risk`) with a
 * snapshot; the answer (`subscribed`) says after which `seq` the client gets every frame.
 *
 * @example
 * await subscriptions.subscribe(c, 'orders', { 'acct-1': 17 }, undefined);
 * subscriptions.unsubscribe(c, 'trades', ['binance:BTC/USDT']);
 */
export class Subscriptions {
  readonly #opts: SubscriptionsOptions;

  constructor(opts: SubscriptionsOptions) {
    this.#opts = opts;
  }

  #error(c: WsClient, code: string, detail: string): readonly RefusedAccount[] {
    this.#opts.push(c, { type: 'error', code, detail });
    return NONE;
  }

  /**
   * Subscribes `c` to `kind`; throws when the event log does not answer, leaving nothing of it
   * subscribed that was not before (the caller retries: `SubscribeAttempts`). A request the
   * server refuses (an account or instrument it does not have, a venue stream that did not
   * start) is answered with an `error` frame. Answers the accounts whose resume fell back to a
   * snapshot that was refused, and (`risk`) those whose starting snapshot was: the channel's
   * other accounts are subscribed, those are not (their frames held back) and the caller tells
   * the client. `snapshot`: accounts of `risk` to start again with a snapshot (a retry of those).
   */
  async subscribe(
    c: WsClient,
    kind: Channel,
    after: Readonly<Record<string, number>> | undefined,
    instruments: readonly string[] | undefined,
    snapshot: readonly string[] = [],
  ): Promise<readonly RefusedAccount[]> {
    const { gateway, watches } = this.#opts;
    const claims = c.claims!;
    if (!isMarket(kind)) {
      if (instruments)
        return this.#error(
          c,
          'WS_BAD_MESSAGE',
          `message.instruments: only for bars, trades and book`,
        );
      const keys = accountsOf(gateway, claims, kind);
      for (const key of Object.keys(after ?? {}))
        if (!keys.includes(key))
          return this.#error(c, 'ACCOUNT_NOT_FOUND', `after.${key}: account ${key} not found`);
      const had = c.channels.has(kind);
      try {
        return await this.#subscribeTo(
          c,
          kind,
          after,
          keys.map((key) => [key, logChannelOf(kind, key)]),
          undefined,
          false,
          new Set(snapshot),
        );
      } catch (e) {
        // Nothing of a new channel is left half-subscribed (the server retries the whole); one
        // subscribed already keeps its accounts, those resumed stay held until the retry.
        if (!had) {
          c.channels.delete(kind);
          c.cursors.drop(kind);
        }
        throw e;
      }
    }
    // The instruments named, else (bars) the replay's; those resumed are subscribed too.
    const names = [
      ...new Set([
        ...(instruments ?? (kind === 'bars' ? gateway.instruments.map((i) => i.id) : [])),
        ...Object.keys(after ?? {}),
      ]),
    ];
    if (names.length === 0)
      return this.#error(c, 'WS_BAD_MESSAGE', `message.instruments: required for ${kind}`);
    const keys: InstrumentKey[] = [];
    for (const name of names) {
      try {
        keys.push(instrumentKey(kind, name, gateway.instruments, gateway.market));
      } catch (e) {
        if (!(e instanceof KairosError)) throw e;
        const field =
          after && Object.hasOwn(after, name) && !instruments?.includes(name)
            ? `after.${name}`
            : `instruments[${(instruments ?? []).indexOf(name)}]`;
        return this.#error(c, e.code, `${field}: ${e.message}`);
      }
    }
    const had = c.markets.get(kind) ?? new Set<string>();
    const pairs = keys.map((k): [string, string] => [
      k.key,
      marketChannel(kind, k.venue, k.symbol),
    ]);
    // The venue streams first (a venue that does not answer: nothing subscribed).
    const acquired: string[] = [];
    try {
      for (const k of keys) {
        const ch = marketChannel(kind, k.venue, k.symbol);
        if (k.venue === null || had.has(ch)) continue;
        await watches.acquire(kind, k, ch);
        acquired.push(ch);
      }
    } catch (e) {
      for (const ch of acquired) watches.release(ch);
      const code = e instanceof KairosError ? e.code : 'VENUE_UNAVAILABLE';
      return this.#error(
        c,
        code,
        `${kind}: the venue's stream did not start: ${(e as Error).message}`,
      );
    }
    try {
      return await this.#subscribeTo(c, kind, after, pairs, had, instruments !== undefined);
    } catch (e) {
      // The instruments asked leave (their venue streams released); the others keep their place.
      for (const ch of acquired) if (!c.markets.get(kind)?.has(ch)) watches.release(ch);
      this.dropMarkets(c, kind, new Set(pairs.map(([, ch]) => ch)));
      throw e;
    }
  }

  /**
   * Subscribes `c` to `kind` of each `[key, log channel]`: live from now on, or resumed after
   * `after[key]`. `had`: the market channels `c` had already (they keep their place). `again`:
   * accounts of `risk` whose snapshot was refused, snapshotted now though the channel is subscribed.
   */
  async #subscribeTo(
    c: WsClient,
    kind: Channel,
    after: Readonly<Record<string, number>> | undefined,
    pairs: readonly (readonly [string, string])[],
    had?: ReadonlySet<string>,
    named = false,
    again: ReadonlySet<string> = new Set(),
  ): Promise<readonly RefusedAccount[]> {
    const { frames, resumer } = this.#opts;
    const fresh = had ? pairs.map(([, ch]) => ch).filter((ch) => !had.has(ch)) : [];
    c.pending.add(kind);
    for (const ch of fresh) c.pendingMarkets.add(ch);
    try {
      await frames.sync(false);
    } finally {
      c.pending.delete(kind);
      for (const ch of fresh) c.pendingMarkets.delete(ch);
    }
    // Live from here for every channel not resumed, in this same tick as the subscription (a
    // channel subscribed already keeps its place: a resume of another loses none of its frames).
    const wasSubscribed = (ch: string) => (had ? had.has(ch) : c.channels.has(kind));
    const before = new Map(pairs.map(([, ch]) => [ch, wasSubscribed(ch)]));
    c.channels.add(kind);
    if (isMarket(kind)) {
      const set = c.markets.get(kind) ?? new Set<string>();
      for (const [, ch] of pairs) set.add(ch);
      c.markets.set(kind, set);
    }
    // Per key started here, the `seq` after which the client gets every frame.
    const from = new Map<string, number>();
    const resumes: Promise<[string, boolean] | null>[] = [];
    // Accounts whose snapshot was refused: not subscribed (their frames held), the others are.
    const refused: RefusedAccount[] = [];
    const snapshots: Promise<void>[] = [];
    for (const [key, ch] of pairs) {
      const start = after?.[key];
      if (start === undefined) {
        if (before.get(ch) && !(kind === 'risk' && again.has(key))) continue;
        // `risk` starts with the account's state and limits now; the others with what comes.
        // A refused one is that account's alone, as a resume's is: the others go on.
        if (kind === 'risk')
          snapshots.push(
            resumer.snapshotThenLive(c, kind, ch, key, false).then(
              (seq) => void from.set(key, seq),
              (e: unknown) => {
                if (!(e instanceof AccountRefusal)) throw e;
                refused.push({ refusal: e, after: null });
              },
            ),
          );
        else {
          from.set(key, frames.pushed(ch) ?? 0);
          c.cursors.startAfter(kind, ch, from.get(key)!);
        }
      } else
        resumes.push(
          resumer.resume(c, kind, ch, key, start).then(
            ([ok, seq]): [string, boolean] => {
              from.set(key, seq);
              return [key, ok];
            },
            (e: unknown) => {
              if (!(e instanceof AccountRefusal)) throw e;
              refused.push({ refusal: e, after: start });
              return null;
            },
          ),
        );
    }
    await Promise.all(snapshots);
    const resumed = Object.fromEntries((await Promise.all(resumes)).filter((r) => r !== null));
    this.#opts.push(c, {
      type: 'subscribed',
      channel: kind,
      ...(named ? { instruments: pairs.map(([key]) => key) } : {}),
      ...(after ? { resumed } : {}),
      from: Object.fromEntries(
        pairs.flatMap(([key]) => (from.has(key) ? [[key, from.get(key)]] : [])),
      ),
    });
    return refused;
  }

  /**
   * Unsubscribes `c` from `kind` (a market channel's `instruments` alone, when named), and drops
   * the retry waiting for it with what it would have subscribed.
   */
  unsubscribe(c: WsClient, channel: Channel, instruments: readonly string[] | undefined) {
    // A retry waiting for the log is dropped with what it would have subscribed.
    if (isMarket(channel) && instruments) c.retries.narrow(channel, instruments);
    else c.retries.cancel(channel);
    if (isMarket(channel) && instruments) {
      const only = new Set<string>();
      for (const name of instruments)
        only.add(namedChannel(channel, name, this.#opts.gateway.instruments));
      this.dropMarkets(c, channel, only);
    } else {
      if (isMarket(channel)) this.dropMarkets(c, channel);
      c.channels.delete(channel);
      c.cursors.drop(channel);
    }
    this.#opts.frames.requestSync();
    this.#opts.push(c, {
      type: 'unsubscribed',
      channel,
      ...(instruments ? { instruments } : {}),
    });
  }

  /** Drops the market instruments of `kind` for `c` (all when `only` is absent). */
  dropMarkets(c: WsClient, kind: MarketChannel, only?: ReadonlySet<string>) {
    const set = c.markets.get(kind);
    if (!set) return;
    for (const ch of [...set]) {
      if (only && !only.has(ch)) continue;
      set.delete(ch);
      if (this.#opts.watches.isVenue(ch)) this.#opts.watches.release(ch);
    }
    if (set.size === 0) {
      c.markets.delete(kind);
      c.channels.delete(kind);
      c.cursors.drop(kind);
    }
  }
}
