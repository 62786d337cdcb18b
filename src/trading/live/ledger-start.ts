import type { FillCut, LedgerCheckpoint, OrderStore } from '../execution/order-store.js';
import type { Fill } from '../model/fill.js';
import type { FillCurrencies } from '../portfolio/booked-fill.js';
import type { Ledger } from '../portfolio/ledger.js';

/** What `loadLedger` did: the latest fill time, the fill rows it read, the checkpoint it made. */
export interface LoadedLedger {
  /** The latest time of a stored fill (0: none). */
  readonly lastFillTs: number;
  /** Fill rows read (the fills after the checkpoint; every fill when it was of no use). */
  readonly read: number;
  /** A checkpoint of the fills read before the newest millisecond, when there were any. */
  readonly next: LedgerCheckpoint | null;
}

/**
 * Books the stored fills into `ledger` (one no fill has reached) as reading every fill in the
 * store's order would: from the latest checkpoint and the fills after its cut, or from every fill
 * when a fill stored since lies behind the cut (the store then answers every fill) or the
 * checkpoint's state is of another version. Also makes the next checkpoint: the ledger after the fills
 * read, but those of the newest millisecond (a fill of that millisecond may still be on its way to
 * the store). See `docs/decisions/ledger-checkpoints.md`.
 *
 * @example
 * const { lastFillTs, next } = await loadLedger(store, core.ledger, (id) => core.instrumentOf(id));
 * if (next) await store.saveLedgerCheckpoint(next);
 */
export async function loadLedger(
  store: Pick<OrderStore, 'ledgerStart'>,
  ledger: Ledger,
  currencies: (instrumentId: string) => FillCurrencies,
  /**
   * Also books the same fills, but those `without` names (given their orders' owners; none
   * earlier than `view.after`), into `view.ledger` (one no fill has reached): the books before
   * those fills. A checkpoint whose cut is not earlier than `view.after` may hold some of them and
   * cannot be taken apart: it is not used,
   * and every stored fill is read (a restart in the bar the checkpoint was made in; rare).
   */
  view?: {
    readonly ledger: Ledger;
    readonly after: number;
    readonly without: (fill: Fill, owner: string | undefined) => boolean;
  },
): Promise<LoadedLedger> {
  let start = await store.ledgerStart();
  let read = start.after.length;
  const cp = start.checkpoint;
  const usable =
    cp !== null && cp.state.version === 1 && (view === undefined || cp.through.ts < view.after);
  if (cp !== null && !usable) {
    start = await store.ledgerStart(true);
    read += start.after.length;
  }
  let lastFillTs = 0;
  let fills = 0;
  if (usable) {
    ledger.restore(cp.state);
    lastFillTs = cp.through.ts;
    fills = cp.fills;
  }
  if (view && usable) view.ledger.restore(cp.state);
  const after = start.after;
  const newest = after.length > 0 ? after[after.length - 1]!.fill.ts : 0;
  let next: LedgerCheckpoint | null = null;
  let through: Fill | null = null;
  for (const { fill, owner } of after) {
    if (fill.ts === newest && through !== null && next === null)
      next = { through: cutOf(through), fills, state: ledger.state() };
    ledger.applyFill(fill, currencies(fill.instrumentId), owner);
    if (view && !view.without(fill, owner))
      view.ledger.applyFill(fill, currencies(fill.instrumentId), owner);
    lastFillTs = Math.max(lastFillTs, fill.ts);
    if (fill.ts < newest) {
      through = fill;
      fills++;
    }
  }
  return { lastFillTs, read, next };
}

const cutOf = (f: Fill): FillCut => ({ ts: f.ts, tradeId: f.tradeId, venue: f.venue });
