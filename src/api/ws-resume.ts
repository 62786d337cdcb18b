import { asStoreUnavailable } from '../store/connection-failure.js';
import { KairosError } from '../trading/core/errors.js';
import type { Counter } from '../trading/core/metrics.js';
import { isMarket, type Channel } from './ws-channels.js';
import { drained } from './ws-back-pressure.js';
import { sees, type WsClient } from './ws-client.js';
import type { ResumeSource } from './ws-cursors.js';
import type { FrameLog } from './ws-frame-log.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';
import { frameWithSeq, readLogged } from './ws-logged-frames.js';
import type { VenueWatches } from './ws-venue-watches.js';

/** What a resume and a snapshot work with. */
export interface ResumesOptions {
  /** The venues' last items and the accounts' state now (`market`, `snapshot`). */
  readonly gateway: Pick<WsGatewayOptions, 'market' | 'snapshot'>;
  readonly frames: Pick<FrameLog, 'log' | 'pushed'>;
  readonly watches: Pick<VenueWatches, 'keyOf'>;
  /** Sends a frame to a client (`pushTo`, back-pressure included). */
  push(c: WsClient, message: unknown): void;
  /** `kairos_ws_resumes_total`, by result (`resumed`, `snapshot`). */
  readonly resumes: Counter;
}

/**
 * An account's state a snapshot needed was refused (its owner did not answer,
 * `ACCOUNT_OWNER_UNAVAILABLE`; its key was refused, `ACCOUNT_CREDENTIAL_REFUSED`…): that one
 * account is not subscribed, the channel's others are (`Subscriptions`). Its `code` is the
 * refusal's.
 */
export class AccountRefusal extends KairosError {
  constructor(
    readonly accountId: string,
    refused: KairosError,
  ) {
    super(refused.code, refused.message, { cause: refused });
  }
}

/**
 * Where a subscription starts when it is not live from now on: a resume after the client's
 * last `seq` (`subscribe` with `after`), read from the log, or a snapshot of the state now then
 * the frames since it (`docs/api.md`, "Sequences and resume").
 *
 * @example
 * const [resumed, from] = await new Resumes(opts).resume(c, 'orders', 'ws:acct-1', 'acct-1', 17);
 */
export class Resumes {
  readonly #opts: ResumesOptions;

  constructor(opts: ResumesOptions) {
    this.#opts = opts;
  }

  /**
   * Resumes `kind` of channel `ch` for `c` after `after`: the frames it missed, or (past the
   * log's bound, or an `after` this log never reached) a snapshot with `resumed: false` and the
   * frames since it. Answers whether it resumed, and the `seq` the client gets every frame after.
   */
  async resume(
    c: WsClient,
    kind: Channel,
    ch: string,
    key: string,
    after: number,
  ): Promise<[boolean, number]> {
    const src = this.#source(c, kind);
    // Held from this tick, the one `c` subscribed in: a live frame handed on while the log is
    // asked would start the channel's place past `after`, and the resume push it again.
    c.cursors.hold(kind, ch, after);
    if (
      after <= (await this.#opts.frames.log.last(ch)) &&
      (await c.cursors.resume(kind, ch, after, src))
    ) {
      this.#opts.resumes.inc({ result: 'resumed' });
      return [true, after];
    }
    this.#opts.resumes.inc({ result: 'snapshot' });
    return [false, await this.snapshotThenLive(c, kind, ch, key, true)];
  }

  /**
   * The state of `key` now (a snapshot, `resumed: false` when a resume fell back to it), then
   * the frames since its `seq` (none twice for state). Answers that `seq`.
   */
  async snapshotThenLive(c: WsClient, kind: Channel, ch: string, key: string, fellBack: boolean) {
    const { frames, gateway } = this.#opts;
    const src = this.#source(c, kind);
    const claims = c.claims!;
    c.cursors.hold(kind, ch, frames.pushed(ch) ?? 0);
    const seq = frames.pushed(ch) ?? (await frames.log.last(ch));
    c.cursors.hold(kind, ch, seq);
    const vk = this.#opts.watches.keyOf(ch);
    const items =
      vk && isMarket(kind)
        ? [gateway.market?.last(kind, vk.venue!, vk.symbol)].filter((x) => x != null)
        : await gateway.snapshot(claims, kind, key).catch((thrown: unknown) => {
            // An account's state refused (the database away too: `STORE_UNAVAILABLE`, not the
            // event log): that account's live frames stay held (none reaches the client
            // without its snapshot) until a retry or a new `subscribe` places it.
            const e = asStoreUnavailable(thrown);
            throw !isMarket(kind) && e instanceof KairosError ? new AccountRefusal(key, e) : e;
          });
    this.#opts.push(c, {
      type: 'snapshot',
      channel: kind,
      ...(isMarket(kind) ? { instrumentId: key } : { accountId: key }),
      seq,
      ...(fellBack ? { resumed: false } : {}),
      // An account's risk is one value (its state and limits); the others are lists.
      [kind]: kind === 'risk' ? (items[0] ?? null) : items,
    });
    if (!(await c.cursors.resume(kind, ch, seq, src)))
      c.cursors.startAfter(kind, ch, frames.pushed(ch) ?? seq);
    return seq;
  }

  /** Where a resume of `kind` for `c` reads and pushes. */
  #source(c: WsClient, kind: Channel): ResumeSource {
    const { frames, push } = this.#opts;
    return {
      read: async (channel, afterSeq, limit) => {
        await drained(c);
        return frames.log.read(channel, afterSeq, limit);
      },
      pushed: (channel) => frames.pushed(channel) ?? 0,
      push: (e) => {
        const lf = readLogged(e.payload);
        if (lf && lf.k === kind && sees(c, kind, lf.u, e.channel)) push(c, frameWithSeq(lf, e.seq));
      },
    };
  }
}
