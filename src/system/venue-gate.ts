import { KairosError } from '../trading/core/errors.js';
import type { NodeVenue } from '../trading/live/trading-core.js';

/**
 * A switch in front of an account's venue: once `close`d (its lease lost), nothing more is sent
 * to the venue from this instance, not even an order committed before the loss and still on its
 * way out (each send throws `LEASE_LOST`, which the write-ahead client reports as not sent); the
 * new owner's reconciliation settles such an order by its client order id.
 *
 * @example
 * const gate = new VenueGate();
 * await TradingCore.open({ ..., venue: (deliver, order) => gate.wrap(build(deliver, order)) });
 * gate.close('lease account:a1 taken');
 */
export class VenueGate {
  #closed: string | null = null;

  /** Stops every send from now on; `why` is what a refused send says. */
  close(why: string): void {
    this.#closed ??= why;
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  wrap(v: NodeVenue): NodeVenue {
    const open = () => {
      if (this.#closed !== null)
        throw new KairosError(
          'LEASE_LOST',
          `not sent: ${this.#closed} (another instance trades this account now)`,
        );
    };
    return {
      submit: (order, ts) => {
        open();
        v.submit(order, ts);
      },
      cancel: (id, ts) => {
        open();
        v.cancel(id, ts);
      },
      ...(v.clientIdRefusal ? { clientIdRefusal: (id: string) => v.clientIdRefusal!(id) } : {}),
      orderByClientId: (id) => v.orderByClientId(id),
      openOrders: () => v.openOrders(),
      tradesSince: (ts) => v.tradesSince(ts),
      // A paper venue matches resting orders on bars: after the loss it is left as it was.
      onBar: (bar) => {
        if (this.#closed === null) v.onBar(bar);
      },
      // A stale owner's confirmation is not this store's: dropped after the loss.
      ...(v.confirmStored
        ? {
            confirmStored: (fillsThrough: number) => {
              if (this.#closed === null) v.confirmStored!(fillsThrough);
            },
          }
        : {}),
      ...(v.onTrade
        ? {
            onTrade: (tick: Parameters<NonNullable<NodeVenue['onTrade']>>[0]) => {
              if (this.#closed === null) v.onTrade!(tick);
            },
          }
        : {}),
    };
  }
}
