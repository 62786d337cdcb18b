import { EventFollower } from '../scalability/bus/event-follower.js';
import type { EventLog, Payload } from '../scalability/bus/event-log.js';
import type { Counter } from '../trading/core/metrics.js';
import type { Channel } from './ws-channels.js';
import { sees, type WsClient } from './ws-client.js';
import { frameWithSeq, loggedPayload, readLogged } from './ws-logged-frames.js';

/** How long a channel no client wants any more stays followed. */
const UNWANTED_KEPT_MS = 60_000;

/** What the gateway's side of the event log works with. */
export interface FrameLogOptions {
  readonly log: EventLog;
  /** The connected clients (read at each frame and each sync). */
  readonly clients: Iterable<WsClient>;
  /** Sends a frame to a client (`pushTo`, back-pressure included). */
  push(c: WsClient, frame: string): void;
  /** The log channels client `c` gets frames of for `kind` (`channelsOf`). */
  channelsOf(c: WsClient, kind: Channel): string[];
  /** Wall-clock ms. */
  now(): number;
  warn(message: string, fields: Record<string, unknown>): void;
  /** `kairos_ws_log_errors_total`, by kind (`gap`, `append`). */
  readonly logErrors: Counter;
}

/**
 * The gateway's side of the event log: every frame is appended to it first (`append`), and
 * pushed from it (an `EventFollower` of the channels the connected clients see) to each client
 * that sees it, once, in each channel's order; so each instance pushes the frames of every
 * instance. Accounts opened since (on any instance) join within a second.
 *
 * @example
 * const frames = new FrameLog({ log, clients, push, channelsOf, now, warn, logErrors });
 * frames.append('ws:acct-1', 'orders', 'u1', '{"type":"order",…}');
 */
export class FrameLog {
  readonly log: EventLog;
  readonly #opts: FrameLogOptions;
  readonly #follower: EventFollower;
  // When each channel was last wanted: one no client wants is still followed for a minute, so
  // clients that come and go do not restart the log's follower (a connection) each time.
  readonly #wantedAt = new Map<string, number>();
  #syncSoon: NodeJS.Timeout | null = null;
  readonly #resync: NodeJS.Timeout;

  constructor(opts: FrameLogOptions) {
    this.#opts = opts;
    this.log = opts.log;
    const warn = opts.warn;
    // Every frame comes from the log, once per client, in each channel's order.
    this.#follower = new EventFollower(
      opts.log,
      (e) => {
        const lf = readLogged(e.payload);
        if (!lf)
          return warn('event log: a frame that is not ours, skipped', { channel: e.channel });
        let frame: string | undefined;
        for (const c of opts.clients) {
          if (!sees(c, lf.k, lf.u, e.channel) || !c.cursors.offer(lf.k, e.channel, e.seq)) continue;
          opts.push(c, (frame ??= frameWithSeq(lf, e.seq)));
        }
      },
      {
        onGap: (channel, from, to, cause) => {
          opts.logErrors.inc({ kind: 'gap' });
          warn('event log: frames lost to this instance', { channel, from, to, err: cause });
        },
      },
    );
    // Accounts opened since (on any instance) join within a second.
    this.#resync = setInterval(this.requestSync, 1_000);
  }

  /** The last `seq` of `channel` this instance has handed on live (undefined: not followed). */
  pushed(channel: string): number | undefined {
    return this.#follower.pushed(channel);
  }

  /**
   * Follows the channels the connected clients see. A channel new to this instance starts at
   * its end when a client subscribes (`fromStart` false: it gets frames from now on), or at its
   * start when it is found later (`fromStart`: an account opened since its clients subscribed;
   * they get all of its frames). Subscriptions under way count only for the former.
   */
  sync(fromStart: boolean) {
    const { clients, channelsOf } = this.#opts;
    const wantedAt = this.#wantedAt;
    const now = this.#opts.now();
    for (const c of clients)
      for (const kind of fromStart ? c.channels : [...c.channels, ...c.pending])
        for (const ch of channelsOf(c, kind)) wantedAt.set(ch, now);
    for (const [ch, at] of wantedAt) if (now - at > UNWANTED_KEPT_MS) wantedAt.delete(ch);
    return this.#follower.follow(wantedAt.keys(), () => (fromStart ? 0 : undefined));
  }

  /** A `sync(true)` soon (one for the calls of the next 50 ms). */
  readonly requestSync = () => {
    this.#syncSoon ??= setTimeout(() => {
      this.#syncSoon = null;
      this.sync(true).catch((e: unknown) =>
        this.#opts.warn('event log: follow failed', { err: e }),
      );
    }, 50);
  };

  // Frames are appended in the order their events happen (one connection keeps the order).
  /** Appends a frame of kind `k` for user `u` (null: oversight only), not waiting for it. */
  append(channel: string, k: Channel, u: string | null, frame: Payload, once?: string) {
    void this.appended(channel, k, u, frame, once);
  }

  /**
   * Appends a frame; resolves once it is in the log (or its failure is logged). A frame given
   * as a function is made when the log needs its text: the embedded log, when it is first read.
   */
  appended(channel: string, k: Channel, u: string | null, frame: Payload, once?: string) {
    const payload = loggedPayload(k, u, frame);
    const failed = (e: unknown) => {
      this.#opts.logErrors.inc({ kind: 'append' });
      this.#opts.warn('event log: frame not appended', { channel, err: e });
    };
    // One promise a frame past the append's (three frames an order): both outcomes in one `then`.
    return this.log.append(channel, payload, once === undefined ? undefined : { once }).then(() => {
      try {
        if (!this.#follower.has(channel)) this.requestSync();
      } catch (e) {
        failed(e);
      }
    }, failed);
  }

  /** Stops the syncs to come (the gateway is closing). */
  stopSyncing(): void {
    clearInterval(this.#resync);
    if (this.#syncSoon) clearTimeout(this.#syncSoon);
  }

  /** Stops following the log. */
  close(): Promise<void> {
    return this.#follower.close();
  }
}
