import { KairosError } from '../trading/core/errors.js';
import { isTransient } from './error-catalogue.js';
import type { Instrument } from '../trading/model/instrument.js';
import { isMarket, type Channel } from './ws-channels.js';
import type { WsClient } from './ws-client.js';
import type { SubscribeRequest } from './ws-subscribe-retries.js';
import type { RefusedAccount, Subscriptions } from './ws-subscriptions.js';

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
   * An account whose resume fell back to a snapshot that was refused is told apart, in an
   * `error` frame naming it (`accountId`), the channel's other accounts subscribed: a refusal
   * that passes (`isTransient`: no owner answered, its venue down) is retried for that account
   * alone, and given up without closing the socket; one that stands (its key refused, an
   * account not seen) is not retried (`retrying: false`).
   */
  async attempt(c: WsClient, kind: Channel, asked: SubscribeRequest, retry: boolean) {
    const { subscriptions, push } = this.#opts;
    // A retry is of what waits now (an `unsubscribe` queued before it may have dropped it).
    const request = retry ? c.retries.request(kind) : asked;
    if (!request || c.socket.readyState !== c.socket.OPEN) return;
    try {
      const refused = await subscriptions.subscribe(
        c,
        kind,
        request.after,
        request.instruments,
        request.snapshot,
      );
      const again = refused.filter((r) => isTransient(r.refusal.code));
      // A retry went through (the client's own `subscribe` leaves a waiting one as it is: it may
      // name other instruments), so the log answers again: the client's others need not wait.
      if (retry) {
        // What waits now: only the accounts refused for a while (the others went through).
        if (again.length === 0) c.retries.answered(kind);
        else {
          const waits = new Set(again.map((r) => r.refusal.accountId));
          c.retries.narrow(
            kind,
            [...Object.keys(request.after ?? {}), ...(request.snapshot ?? [])].filter(
              (id) => !waits.has(id),
            ),
          );
        }
        c.retries.now();
      }
      this.#refused(c, kind, refused, again, retry);
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
      // What did not answer: the event log (Redis), or a snapshot's source, which says why (the
      // account's owner, `ACCOUNT_OWNER_UNAVAILABLE`; its venue, `ACCOUNT_VENUE_DOWN`…).
      const [code, what] =
        e instanceof KairosError
          ? [e.code, e.message]
          : ['CACHE_UNAVAILABLE', 'the event log did not answer'];
      // A refusal that stands (`isTransient`: a key refused, a permission) is told, not retried.
      if (!isTransient(code)) {
        if (retry) c.retries.answered(kind);
        this.#opts.warn('subscribe refused', { channel: kind, retry, code, err: e });
        return push(c, {
          type: 'error',
          code,
          channel: kind,
          retrying: false,
          detail: `${kind}: ${what}; not retried: subscribe again once it is settled`,
        });
      }
      const outcome = c.retries.failed(kind, named);
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

  /**
   * Tells the client of the accounts of `kind` whose snapshot was `refused` (each in its own
   * frame), and retries those refused for a while (`again`): once, at its own `subscribe`
   * (`retrying: true`), and when given up (`retrying: false`: the socket stays open, the
   * account's frames held; a new `subscribe` with `after` tries it again). A refusal that
   * stands is told once, never retried.
   */
  #refused(
    c: WsClient,
    kind: Channel,
    refused: readonly RefusedAccount[],
    again: readonly RefusedAccount[],
    retry: boolean,
  ): void {
    if (refused.length === 0) return;
    const outcome = again.length === 0 ? null : c.retries.failed(kind, retryOf(again));
    for (const { refusal } of refused) {
      const { code, accountId } = refusal;
      const waits = outcome === 'retrying' && again.some((r) => r.refusal === refusal);
      this.#opts.warn('subscribe: snapshot refused', {
        channel: kind,
        accountId,
        retry,
        code,
        err: refusal.cause,
      });
      // A retry still waiting was told already, at the client's own `subscribe`.
      if (waits && retry) continue;
      if (outcome === 'closed') continue;
      const detail = !isTransient(code)
        ? `${kind}: ${refusal.message}; not retried: subscribe again with "after" once it is settled`
        : waits
          ? `${kind}: ${refusal.message}; the server subscribes this account again by itself: "subscribed" follows`
          : `${kind}: ${refusal.message}, at the subscription and its retries; subscribe again with "after" to try again`;
      this.#opts.push(c, {
        type: 'error',
        code,
        channel: kind,
        accountId,
        retrying: waits,
        detail,
      });
    }
  }
}

/** The retry of the accounts refused for a while: resumed after their `after`, else snapshotted. */
function retryOf(again: readonly RefusedAccount[]): SubscribeRequest {
  const after = again.flatMap((r) => (r.after === null ? [] : [[r.refusal.accountId, r.after]]));
  const snapshot = again.filter((r) => r.after === null).map((r) => r.refusal.accountId);
  return {
    ...(after.length > 0 ? { after: Object.fromEntries(after) } : {}),
    ...(snapshot.length > 0 ? { snapshot } : {}),
  };
}
