// The order journal's batches as `POST /orders` makes them, for the journal's CPU benchmarks
// (`_journal-cpu.ts`, `_journal-cpu-nodb.ts`): a limit buy of a user, initialized and submitted
// (one flushed commit), then accepted by the venue (the next, deferred).
import { price } from '../src/trading/core/money.js';
import { applyOrderEvent } from '../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../src/trading/model/order-events.js';
import type { Order } from '../src/trading/model/order.js';
import { newOrder } from '../test/support/builders.js';

export type JournalItem = { after: Order; event: OrderEvent };

let n = 0;

/** `size` new orders of account `acct`: their creation and submission, then their acceptance. */
export function journalBatch(size: number): { placed: JournalItem[]; accepted: JournalItem[] } {
  const placed: JournalItem[] = [];
  const accepted: JournalItem[] = [];
  for (let i = 0; i < size; i++) {
    const id = `api-u1-${++n}`;
    const o = newOrder(
      { accountId: 'acct', strategyId: 'user:u1', type: 'LIMIT', price: price('100.5') },
      id,
    );
    const ref = {
      clientOrderId: id,
      accountId: 'acct',
      strategyId: 'user:u1',
      instrumentId: o.instrumentId,
    };
    const sub: OrderEvent = { kind: 'OrderSubmitted', ...ref, ts: n };
    const s = applyOrderEvent(o, sub);
    const acc: OrderEvent = { kind: 'OrderAccepted', ...ref, ts: n, venueOrderId: `V${n}` };
    placed.push({ after: o, event: { kind: 'OrderInitialized', ...ref, ts: n, order: o } });
    placed.push({ after: s, event: sub });
    accepted.push({ after: applyOrderEvent(s, acc), event: acc });
  }
  return { placed, accepted };
}
