import { KairosError } from '../trading/core/errors.js';
import type { Instrument } from '../trading/model/instrument.js';
import { isMarket, type Channel } from './ws-channels.js';
import type { WsClient } from './ws-client.js';
import type { SubscribeRequest } from './ws-subscribe-retries.js';
import type { Subscriptions } from './ws-subscriptions.js';

/** What an attempt to subscribe works with. */
export interface SubscribeAttemptsOptions {
  readonly subscriptions: Pick<Subscriptions, 'subscribe' | 'dropMarkets'>;
  /** The replay's instruments (a retry of `bars` without instruments names them). */
  readonly instruments: readonly Instrument[];
  /** Sends a frame to a client (`pushTo`, back-pressure included). */
  push(c: WsClient, message: unknown): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

/**
 * Runs a `subscribe`, the client's or the server's retry of one (`ws-subscribe-retries.ts`),
 * and tells the client what became of one the event log did not answer.
 *
 * @example
 * await new SubscribeAttempts(opts).attempt(c, 'orders', { after: { 'acct-1': 17 } }, false);
 */
export class SubscribeAttempts {
  readonly #opts: SubscribeAttemptsOptions;

  constructor(opts: SubscribeAttemptsOptions) {
    this.#opts = opts;
  }

  /**
   * Runs a `subscribe`, the client's or the server's retry of one. One the event log does not
   * answer (Redis away or late) leaves nothing of it subscribed and is retried with backoff
   * (`SubscribeRetries`) until it goes through (`subscribed`, whose `from` says after which `seq`
   * the client gets every frame) or the attempts run out: then the socket closes with 1013. The
   * client is told once, at its own `subscribe` (`retrying: true`); never a silent socket.
   */
  async attempt(c: WsClient, kind: Channel, asked: SubscribeRequest, retry: boolean) {
    const { subscriptions, push } = this.#opts;
    // A retry is of what waits now (an `unsubscribe` queued before it may have dropped it).
    const request = retry ? c.retries.request(kind) : asked;
    if (!request || c.socket.readyState !== c.socket.OPEN) return;
    try {
      await subscriptions.subscribe(c, kind, request.after, request.instruments);
      // A retry went through (the client's own `subscribe` leaves a waiting one as it is: it may
      // name other instruments), so the log answers again: the client's others need not wait.
      if (retry) {
        c.retries.answered(kind);
        c.retries.now();
      }
    } catch (e) {
      // A retry names the instruments (bars without them: the replay's), so an `unsubscribe`
      // of some of them narrows it.
      const named =
        isMarket(kind) && request.instruments === undefined
          ? {
              ...request,
              instruments: kind === 'bars' ? this.#opts.instruments.map((i) => i.id) : [],
            }
          : request;
      const outcome = c.retries.failed(kind, named);
      // What did not answer: the event log (Redis), or a snapshot's source, which says why (the
      // account's owner, `ACCOUNT_OWNER_UNAVAILABLE`; its venue, `ACCOUNT_VENUE_DOWN`…).
      const [code, what] =
        e instanceof KairosError
          ? [e.code, e.message]
          : ['CACHE_UNAVAILABLE', 'the event log did not answer'];
      this.#opts.warn(
        code === 'CACHE_UNAVAILABLE'
          ? 'event log: subscribe failed'
          : 'subscribe: snapshot refused',
        { channel: kind, retry, code, err: e },
      );
      if (outcome === 'retrying' && !retry)
        push(c, {
          type: 'error',
          code,
          channel: kind,
          retrying: true,
          detail: `${kind}: ${what}; the server subscribes again by itself: "subscribed" follows, or a close (1013)`,
        });
      if (outcome === 'gave-up') {
        push(c, {
          type: 'error',
          code,
          channel: kind,
          retrying: false,
          detail: `${kind}: ${what}, at the subscription and its retries; closing (1013): reconnect and resume with "after"`,
        });
        c.socket.close(
          1013,
          code === 'CACHE_UNAVAILABLE'
            ? 'event log unavailable: try again later'
            : 'account state unavailable: try again later',
        );
      }
    } finally {
      // Closed meanwhile: what it subscribed (a venue stream) is released with the rest.
      if (c.socket.readyState !== c.socket.OPEN)
        for (const k of [...c.markets.keys()]) subscriptions.dropMarkets(c, k);
    }
  }
}
