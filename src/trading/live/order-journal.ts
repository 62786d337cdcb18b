import type { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import type { Alert } from '../model/alert.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';
import type { CommitDurability, OrderStore } from '../execution/order-store.js';
import { SerialQueue } from './serial-queue.js';

/**
 * Writes every order event to the `OrderStore`, in the order the OMS applied them, one
 * transaction each (the order row as it is after the event, the event, and a fill). Venue calls
 * wait on `committed()` so nothing is sent before it is written (write before send). If a write
 * fails, the journal is failed: `failure` holds the error, an `Alert` (`PERSISTENCE_FAILED`) is
 * published, and the write-ahead client refuses to send anything more (fail closed).
 *
 * A batch made only of the venue's reports (acknowledgements, fills), that nobody waits on
 * with `durable()` or `committed()` before it starts, is committed with its flush deferred
 * when the store can (`OrderStore.flush`): the next batch, usually the next order's, then
 * does not wait behind a flush of its own, and its flush covers both. Such a batch starts at the
 * end of the event loop's turn it was written in, so the events of that turn join it: the
 * reports of every send made in the turn (one for each order of a group commit) go in one
 * statement, and a strategy's next order, made on the acknowledgement, makes it one commit,
 * flushed, not two (a reader waits for a report at most that turn longer). Every order of ours
 * (created, denied, submitted, a cancel requested, unknown) is flushed before anything is sent
 * on it; a report lost with the database before its flush is the venue's to tell again
 * (reconciliation), and the store refuses every later write when it finds one lost.
 *
 * A burst (events written faster than commits end) goes in commits of at most `MAX_BATCH`
 * events, in order: the first orders are sent once their own commit is durable, while the
 * database writes the next, instead of every order waiting for one commit of the whole burst.
 *
 * @example
 * const journal = new OrderJournal(bus, store, (id) => exec.order(id));
 */
export class OrderJournal {
  readonly #queue = new SerialQueue();
  /**
   * The newest batch whose commit has not started: new events join it until it holds
   * `maxBatch` events.
   */
  #waiting: Batch | null = null;
  /** The commit that covers the latest event (the batch filling, or the one being written). */
  #latest: Promise<void> = Promise.resolve();
  /** Whether `#latest`, once settled, is durable (false: a commit whose flush was deferred). */
  #latestFlushed = true;
  /** The time of the latest event (an alert's time). */
  #lastTs = 0;
  /** Events written so far, and how many of them are committed (`mark`). */
  #written = 0;
  #committed = 0;
  /**
   * The largest `seq` the store gave the events committed so far (null: none stored yet;
   * undefined: the store does not tell), and the marks whose events are not all committed yet.
   */
  #place: number | null | undefined = null;
  readonly #marks: JournalMark[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly store: OrderStore,
    private readonly orderNow: (clientOrderId: string) => Order | undefined,
    /** The most events one commit takes (`MAX_BATCH`; tests make it small). */
    private readonly maxBatch: number = MAX_BATCH,
  ) {
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => this.#write(e));
  }

  /**
   * The write error that failed the journal (null while it has not failed): once set, nothing
   * more may be sent.
   */
  get failure(): unknown {
    return this.#queue.failure;
  }

  /** Resolves when every event so far is committed; rejects if a write failed. */
  async committed(): Promise<void> {
    this.#needDurable();
    await this.#queue.idle();
    if (this.#queue.failure !== null) throw this.#queue.failure;
  }

  /**
   * Resolves when every event so far is committed, without waiting for events added later
   * (a send waits for its own order's record, not for the acknowledgements of earlier sends);
   * rejects if that write, or one before it, failed.
   */
  durable(): Promise<void> {
    this.#needDurable();
    return this.#latest;
  }

  /**
   * Resolves when every event so far is committed, so every reader of the store sees it (its
   * flush may still be deferred: `durable` waits for that too, and asks for it); rejects if
   * that write, or one before it, failed. What is told to clients (the WebSocket's frames)
   * waits for it, so a client never hears of an event that `GET /fills` does not show yet.
   */
  stored(): Promise<void> {
    return this.#latest;
  }

  /**
   * Marks where the journal is now: `placeOf` tells, once they are committed, the store's place of
   * the events written until now (`StoredOrderEvent.seq`). The journal is its account's one
   * writer and commits in the order written, so every event written after the mark gets a
   * greater `seq`, whatever other accounts write meanwhile.
   */
  mark(): JournalMark {
    const m: JournalMark = { at: this.#written, place: this.#place };
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a mark kept when its events are committed already is never matched by a later batch (each covers events after it): memory only
    if (m.at > this.#committed) this.#marks.push(m);
    return m;
  }

  /**
   * The largest `seq` stored for the events written before `mark`, once they are committed: null
   * when this journal stored none of them, undefined when its store does not tell (a store
   * whose `commitBatch` returns nothing). Rejects when their commit failed.
   */
  async placeOf(mark: JournalMark): Promise<number | null | undefined> {
    if (mark.at > this.#committed) await this.durable();
    return mark.place;
  }

  /** The places the store gave a committed batch (`commitBatch`'s answer), for the marks in it. */
  #placed(start: number, count: number, seqs: readonly (number | null)[] | void): void {
    let place = this.#place;
    for (let i = 0; i < count; i++) {
      const seq = seqs ? seqs[i] : undefined;
      // An event the store did not write again (null) keeps the place before it; a store that
      // answers no places (undefined) leaves none.
      if (seq !== null) place = seq;
      for (let k = 0; k < this.#marks.length; k++) {
        const m = this.#marks[k]!;
        if (m.at !== start + i + 1) continue;
        m.place = place;
        this.#marks.splice(k--, 1);
      }
    }
    this.#place = place;
    this.#committed = start + count;
  }

  /** The commit that covers the latest event must be durable: not deferred, or flushed after. */
  #needDurable(): void {
    if (this.#waiting) this.#waiting.awaited = true;
    else if (!this.#latestFlushed) {
      const store = this.store;
      this.#latestFlushed = true;
      this.#track(
        this.#queue.add(() => store.flush!()),
        this.#lastTs,
      );
    }
  }

  #write(event: OrderEvent): void {
    // The order as the OMS holds it right after this event (events are applied, then published).
    const after =
      event.kind === 'OrderInitialized' ? event.order : this.orderNow(event.clientOrderId);
    if (!after) return;
    this.#lastTs = event.ts;
    this.#written++;
    const item = { after, event };
    // Group commit: events that arrive while a commit is running go together in the next one,
    // up to `maxBatch` events a commit; the next event then starts the batch after it.
    const waiting = this.#waiting;
    if (waiting && waiting.items.length < this.maxBatch) {
      waiting.items.push(item);
      return;
    }
    const batch: Batch = { items: [item], awaited: false, start: this.#written - 1 };
    this.#waiting = batch;
    const job = this.#queue.add(async () => {
      // The venue's reports nobody waits on start at the end of this turn of the event loop, so
      // the turn's other events join them: the reports of every send made in it (a send per
      // order of a group commit), the next order made on an acknowledgement.
      if (this.#mayDefer(batch)) await new Promise((r) => setImmediate(r));
      const durability: CommitDurability = this.#mayDefer(batch) ? 'deferred' : 'flushed';
      if (this.#waiting === batch) {
        // No batch is waiting behind this one: `#latest` is this job.
        this.#waiting = null;
        this.#latestFlushed = durability === 'flushed';
      }
      const seqs = await this.store.commitBatch(batch.items, durability);
      this.#placed(batch.start, batch.items.length, seqs);
    });
    // Stryker disable next-line BooleanLiteral: equivalent, read only once no batch waits, and the batch sets it when it starts
    this.#latestFlushed = true; // decided when the batch starts; `durable()` marks it awaited
    this.#track(job, event.ts);
  }

  /** Whether `batch` may be committed with its flush deferred. */
  #mayDefer(batch: Batch): boolean {
    return this.store.flush !== undefined && !batch.awaited && batch.items.every(isVenueReport);
  }

  /** `job` as the latest commit; its failure, when it is the journal's, is alerted. */
  #track(job: Promise<void>, ts: number): void {
    this.#latest = job;
    job.catch((e: unknown) => {
      if (this.#queue.failure !== e) return;
      // A trade stored for another fill, or a client order id stored for another order, is its
      // own alert: a venue, a key or another writer is wrong, not the disk.
      const code = (e as { code?: unknown }).code;
      const alert: Alert = {
        kind: 'Alert',
        code: code === 'FILL_CONFLICT' || code === 'ORDER_CONFLICT' ? code : 'PERSISTENCE_FAILED',
        message: `order journal write failed: ${(e as Error).message}`,
        ts,
      };
      this.bus.publish(Topics.alerts, alert);
    });
  }
}

/**
 * The most events one commit takes. A larger burst (every order of a strategy at the open, a
 * basket from the API) goes as several commits in turn, so the first orders are sent, and their
 * acknowledgements handled, while the database writes the next: the process and the database
 * each work on a core instead of taking turns on one (each commit is still written before any
 * of its orders is sent).
 */
export const MAX_BATCH = 1_000;

/**
 * Events waiting for one commit; `awaited`: someone waits for it to be durable; `start`: how many
 * events were written before its first.
 */
interface Batch {
  readonly items: { after: Order; event: OrderEvent }[];
  awaited: boolean;
  readonly start: number;
}

/** Where the journal was when marked (`OrderJournal.mark`), and the store's place there once known. */
export interface JournalMark {
  readonly at: number;
  place: number | null | undefined;
}

/**
 * The venue's reports on an order it holds: lost with the database before their flush, the
 * venue tells them again (reconciliation by client order id and trade id). Our own decisions
 * (an order made, denied, submitted, a cancel asked, an outcome unknown) are not.
 */
function isVenueReport({ event }: { readonly event: OrderEvent }): boolean {
  return event.kind === 'OrderAccepted' || event.kind === 'OrderFilled';
}
