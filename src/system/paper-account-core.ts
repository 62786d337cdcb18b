import path from 'node:path';
import type { OrderRepository } from '../store/order-repository.js';
import type { DecimalInput } from '../trading/core/decimal.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import { TradingCore } from '../trading/live/trading-core.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import { PaperVenue } from '../trading/venues/paper/paper-venue.js';
import { VenueGate } from './venue-gate.js';

/** What a paper account's core is opened with. */
export interface PaperCoreSpec {
  readonly accountId: string;
  /** `KAIROS_HOME`: the account's venue lives under `paper/<accountId>/`. */
  readonly home: string;
  /** The paper venue's name. */
  readonly venue: string;
  /** What it trades; the first one's quote currency holds `cash`. */
  readonly instruments: readonly Instrument[];
  readonly cash: DecimalInput;
  /** Its order journal (fenced by the account's lease, when it has one). */
  readonly orders: OrderRepository;
  /** The token of the account's lease: a previous owner's late writes to the venue are void. */
  readonly leaseToken?: number;
  readonly onAlert?: (alert: Alert) => void;
  /**
   * How long (ms of the core's clock) a closed order stays held: the OMS, the ccxt client and a
   * strategy's `ctx.order` (`KAIROS_CLOSED_ORDER_RETENTION_MS`; default 10 minutes).
   */
  readonly closedOrderRetentionMs?: number;
}

/** A paper account's core, recovered, with the switch in front of its venue and the venue. */
export interface PaperCore {
  readonly core: TradingCore;
  readonly recovery: ReconciliationResult;
  readonly gate: VenueGate;
  /** Its paper venue as the core built it last (null: not built). */
  paper(): PaperVenue | null;
}

/**
 * Opens and recovers a paper account's core on its own paper venue file
 * (`$KAIROS_HOME/paper/<accountId>/venue.json`) behind a `VenueGate`. Not opened: the venue
 * (built, maybe written at recovery) is closed with it.
 *
 * @example
 * const { core, recovery, gate } = await openPaperCore({ accountId, home, venue, instruments, cash, orders });
 */
export async function openPaperCore(spec: PaperCoreSpec): Promise<PaperCore> {
  const { accountId, instruments, leaseToken } = spec;
  const gate = new VenueGate();
  let paper: PaperVenue | null = null;
  const { core, recovery } = await TradingCore.open({
    accountId,
    instruments,
    cash: { [instruments[0]!.quote]: spec.cash },
    orders: spec.orders,
    venue: (deliver) =>
      gate.wrap(
        (paper = new PaperVenue(
          path.join(spec.home, 'paper', accountId, 'venue.json'),
          { venue: spec.venue, instruments },
          deliver,
          // Fenced by the lease's token: a previous owner's late writes are void.
          leaseToken !== undefined ? { token: leaseToken } : undefined,
          // Snapshots written off the event loop: the server's orders never wait for one.
          { compactOffThread: true },
        )),
      ),
    // The paper venue records an order before it answers, in the file every owner reads: an
    // open order it does not know was committed and never sent (a crash or a lost lease between
    // commit and send; the client may have its 201), and is sent now, as it would have been.
    sendUnsent: true,
    // Its strategies read (`ctx.order`) the orders closed within the window after a restart too.
    restoreClosed: true,
    ...(spec.closedOrderRetentionMs !== undefined
      ? { closedOrderRetentionMs: spec.closedOrderRetentionMs }
      : {}),
    ...(spec.onAlert ? { onAlert: spec.onAlert } : {}),
  }).catch((e: unknown) => {
    // Not opened: its venue (built, maybe written at recovery) is closed with it.
    (paper as PaperVenue | null)?.close();
    throw e;
  });
  return { core, recovery, gate, paper: () => paper };
}
