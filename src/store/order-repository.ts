import { mayHoldUnstorable, storableText } from '../security/audit/canonical.js';
import { InvariantError, KairosError } from '../trading/core/errors.js';
import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import { toDecimal } from '../trading/core/decimal.js';
import { price, quantity } from '../trading/core/money.js';
import type {
  CommitDurability,
  LedgerCheckpoint,
  LedgerStart,
  OrderStore,
  RestorableOrders,
  RestoreQuery,
  StoredOrderEvent,
  TradeKey,
} from '../trading/execution/order-store.js';
import type { Fill } from '../trading/model/fill.js';
import type { Order } from '../trading/model/order.js';
import { orderEventFromJson, type OrderEventJson } from '../trading/model/order-json.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { AuditEntry } from '../security/audit/audit-record.js';
import {
  auditHeadOf,
  AuditRepository,
  conditionalAppendParts,
  inChainTurn,
  type AuditAppendSlot,
} from './audit-repository.js';
import { fencedTransaction, fencedWriteFailure, type Fence } from './lease-repository.js';
import { jsonArray, numberArray, textArray } from './array-literal.js';
import { canDeferFlush, COMMITTED_STATEMENT } from './committed-statement.js';
import { boundSlots, FixedStatement, type Slot } from './fixed-statement.js';
import { isConnectionFailure } from './connection-failure.js';
import type { FillsTable, OrdersTable, Schema } from './schema.js';
import { PageCursor } from './page-cursor.js';
import { toFill } from './fill-row.js';
import { ledgerStart, saveLedgerCheckpoint } from './ledger-checkpoint-queries.js';

const TERMINAL = ['DENIED', 'REJECTED', 'FILLED', 'CANCELED', 'EXPIRED'];
const dec = (x: { toFixed(): string } | null) => (x === null ? null : x.toFixed());

/** Refuses a record of another account: a repository is one account's (DESIGN invariant 13). */
function ownedBy(accountId: string, record: { readonly accountId: string }, what: string): void {
  if (record.accountId !== accountId)
    throw new InvariantError(
      'ACCOUNT_MISMATCH',
      `${what} of account "${record.accountId}" written to account "${accountId}"`,
    );
}

/** A time of `OrderStore.restorable`'s query must be an integer of ms (the column's type). */
function restoreTime(field: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw restoreInvalid(field, v, 'must be an integer of ms');
}

const restoreInvalid = (field: string, v: number, rule: string): InvariantError =>
  new InvariantError('RESTORE_QUERY_INVALID', `restorable: ${field} ${v} ${rule}`);

function orderRow(o: Order, accountId: string): OrdersTable {
  ownedBy(accountId, o, `order ${o.clientOrderId}`);
  return {
    client_order_id: o.clientOrderId,
    account_id: o.accountId,
    strategy_id: o.strategyId,
    instrument_id: o.instrumentId,
    side: o.side,
    type: o.type,
    time_in_force: o.timeInForce,
    quantity: o.quantity.toFixed(),
    price: dec(o.price),
    trigger_price: dec(o.triggerPrice),
    post_only: o.postOnly,
    reduce_only: o.reduceOnly,
    status: o.status,
    venue_order_id: o.venueOrderId,
    filled_quantity: o.filledQuantity.toFixed(),
    filled_notional: o.filledNotional.toFixed(),
    // Free text (a strategy's tag, a venue's reason) as Postgres can keep it: a NUL or a lone
    // surrogate in one order must never fail the group commit of the others.
    reason: o.reason === null ? null : storableText(o.reason),
    tag: o.tag === null ? null : storableText(o.tag),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
  };
}

function fillRow(f: Fill, accountId: string): FillsTable {
  ownedBy(accountId, f, `fill ${f.venue} ${f.tradeId}`);
  return {
    account_id: f.accountId,
    venue: f.venue,
    trade_id: f.tradeId,
    client_order_id: f.clientOrderId,
    instrument_id: f.instrumentId,
    side: f.side,
    price: f.price.toFixed(),
    quantity: f.quantity.toFixed(),
    fee: f.fee.amount.toFixed(),
    fee_currency: f.fee.currency,
    liquidity: f.liquidity,
    ts: f.ts,
  };
}

/**
 * The columns that make an order what it is: set when it is made, never changed after. A state
 * written under a client order id applies only to the stored row they all match (DESIGN
 * invariant 13): an order of another account (or strategy, instrument, side, …) under the same
 * id is `ORDER_CONFLICT`, never overwritten.
 */
const ORDER_IDENTITY = [
  'account_id',
  'strategy_id',
  'instrument_id',
  'side',
  'type',
  'time_in_force',
  'quantity',
  'price',
  'trigger_price',
  'post_only',
  'reduce_only',
  'created_at',
] as const;

/** `orders` is the stored row of `excluded`'s order (an upsert's `do update … where`). */
const SAME_ORDER = sql.raw<boolean>(
  ORDER_IDENTITY.map((c) => `orders.${c} is not distinct from excluded.${c}`).join(' and '),
);

/**
 * The first of `keys` a stored row differs in from a new one, as `key stored, now`, or null:
 * the `decimals` compared as numbers (`100` and `100.0` are the same), the rest as text.
 */
function firstDiff<R extends object>(
  stored: R,
  row: R,
  keys: readonly (keyof R & string)[],
  decimals: readonly (keyof R & string)[],
): string | null {
  for (const k of keys) {
    const x = stored[k];
    const y = row[k];
    const same =
      decimals.includes(k) && x !== null && y !== null
        ? toDecimal(String(x)).eq(toDecimal(String(y)))
        : String(x) === String(y);
    if (!same) return `${k} ${String(x)} stored, ${String(y)} now`;
  }
  return null;
}

/**
 * `ORDER_CONFLICT` for the first of `rows` (orders of `accountId` a write did not store) whose
 * client order id is stored for another order, or for any order when `fresh` (a new order needs
 * a free id); null when none is. Read in the refused write's transaction, which then rolls back.
 */
async function orderConflict(
  tx: Transaction<Schema>,
  accountId: string,
  rows: readonly OrdersTable[],
  fresh: boolean,
): Promise<KairosError | null> {
  const stored = await tx
    .selectFrom('orders')
    .selectAll()
    .where(
      'client_order_id',
      'in',
      rows.map((r) => r.client_order_id),
    )
    .execute();
  const byId = new Map(stored.map((r) => [r.client_order_id, r]));
  for (const r of rows) {
    const before = byId.get(r.client_order_id);
    const diff = before
      ? firstDiff<OrdersTable>(before, r, ORDER_IDENTITY, ['quantity', 'price', 'trigger_price'])
      : null;
    if (!before || (diff === null && !fresh)) continue;
    const whose =
      diff === null
        ? 'this order already: a new order needs a free id'
        : `${before.account_id === accountId ? 'another order of this account' : `account ${before.account_id}`} (${diff})`;
    return new KairosError(
      'ORDER_CONFLICT',
      `account ${accountId}: client order id ${r.client_order_id} is stored for ${whose}`,
    );
  }
  return null;
}

/** A write of orders that stored fewer rows than it sent, none of them in conflict: a bug. */
const rowsLost = (accountId: string) =>
  new InvariantError(
    'ORDER_ROWS_LOST',
    `account ${accountId}: an order write stored fewer rows than it sent`,
  );

/** A state change of an order this store does not hold: the OMS's bug; nothing is written. */
const orderNotStored = (row: OrdersTable) =>
  new InvariantError(
    'ORDER_NOT_STORED',
    `account ${row.account_id}: an event of order ${row.client_order_id}, which is not stored`,
  );

/** A JSON.stringify replacer: every string as Postgres jsonb can keep it. */
function storableStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? storableText(value) : value;
}

/** The stored row of an order event. */
function eventRow({ after, event }: { readonly after: Order; readonly event: OrderEvent }) {
  // The replacer only when a string may need it: JSON.stringify is several times slower with one.
  const plain = JSON.stringify(event);
  return {
    client_order_id: after.clientOrderId,
    kind: event.kind,
    ts: event.ts,
    payload: mayHoldUnstorable(plain) ? JSON.stringify(event, storableStrings) : plain,
  };
}

/**
 * `(columns) select … from json_to_recordset(…)`: order rows as one JSON parameter, `rows` (what
 * JSON.stringify writes natively; numeric columns go as decimal strings, exact).
 */
function orderColumns(rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(client_order_id, account_id, strategy_id, instrument_id, side, type,
      time_in_force, quantity, price, trigger_price, post_only, reduce_only, status,
      venue_order_id, filled_quantity, filled_notional, reason, tag, created_at, updated_at)
    select * from json_to_recordset(${rows}::json) as r(client_order_id text,
      account_id text, strategy_id text, instrument_id text, side text, type text,
      time_in_force text, quantity numeric, price numeric, trigger_price numeric,
      post_only boolean, reduce_only boolean, status text, venue_order_id text,
      filled_quantity numeric, filled_notional numeric, reason text, tag text,
      created_at bigint, updated_at bigint)`;
}

/** `insert into fills … select … from json_to_recordset(…)`: fill rows as one JSON parameter. */
function fillInsert(rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`insert into fills (account_id, venue, trade_id, client_order_id, instrument_id,
      side, price, quantity, fee, fee_currency, liquidity, ts)
    select * from json_to_recordset(${rows}::json) as r(account_id text,
      venue text, trade_id text, client_order_id text, instrument_id text, side text,
      price numeric, quantity numeric, fee numeric, fee_currency text, liquidity text,
      ts bigint)`;
}

/**
 * The events as four parallel arrays (`unnest`, in order), the payloads (JSON text already) as
 * one JSON array of them as they are (`json_array_elements`, nothing escaped), each cast to
 * `jsonb` one by one. Postgres reads these about five times faster than the same rows as one
 * `json_to_recordset` document with a `jsonb` column (10,000 events of a burst: 0.1–0.2 s
 * against 0.75–0.83 s in psql, under load; docs/benchmarks.md).
 */
function eventArrays(rows: readonly ReturnType<typeof eventRow>[]) {
  return {
    ids: textArray(rows.map((e) => e.client_order_id)),
    kinds: textArray(rows.map((e) => e.kind)),
    ts: numberArray(rows.map((e) => e.ts)),
    payloads: jsonArray(rows.map((e) => e.payload)),
  };
}

/** Inserts new orders of `accountId`, each under a free client order id, or none of them. */
async function insertNewOrders(
  tx: Transaction<Schema>,
  accountId: string,
  rows: readonly OrdersTable[],
): Promise<void> {
  const done = await tx
    .insertInto('orders')
    .values([...rows])
    .onConflict((oc) => oc.column('client_order_id').doNothing())
    .returning('client_order_id')
    .execute();
  if (done.length !== rows.length)
    throw (await orderConflict(tx, accountId, unwritten(rows, done), true)) ?? rowsLost(accountId);
}

/** The rows an insert did not return (`done`: the client order ids it wrote). */
function unwritten(
  rows: readonly OrdersTable[],
  done: readonly { client_order_id: string }[],
): OrdersTable[] {
  const written = new Set(done.map((d) => d.client_order_id));
  return rows.filter((r) => !written.has(r.client_order_id));
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function toOrder(r: Selectable<OrdersTable>): Order {
  return {
    clientOrderId: r.client_order_id,
    accountId: r.account_id,
    strategyId: r.strategy_id,
    instrumentId: r.instrument_id,
    side: r.side as Order['side'],
    type: r.type as Order['type'],
    timeInForce: r.time_in_force as Order['timeInForce'],
    quantity: quantity(r.quantity),
    price: r.price === null ? null : price(r.price),
    triggerPrice: r.trigger_price === null ? null : price(r.trigger_price),
    postOnly: r.post_only,
    reduceOnly: r.reduce_only,
    status: r.status as Order['status'],
    venueOrderId: r.venue_order_id,
    filledQuantity: quantity(r.filled_quantity),
    filledNotional: toDecimal(r.filled_notional),
    reason: r.reason,
    tag: r.tag,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Revives decimals in a stored event payload (they were written as strings). */
/**
 * A stored event payload as an event. Payloads written before events carried their account
 * (migration-free: the column was always there) take the account of the row they belong to.
 */
function toEvent(payload: unknown, accountId: string): OrderEvent {
  const own = <T extends { readonly accountId: string }>(x: T): T => ({
    ...x,
    accountId: (x.accountId as string | undefined) ?? accountId,
  });
  const j = own(payload as OrderEventJson);
  if (j.kind === 'OrderFilled') return orderEventFromJson({ ...j, fill: own(j.fill) });
  if (j.kind === 'OrderInitialized') return orderEventFromJson({ ...j, order: own(j.order) });
  return orderEventFromJson(j);
}

/** A condition: the audit row the slots `unflushed_seq` and `unflushed_hash` name is stored. */
const stillStored = (p: Slot<'unflushed_seq' | 'unflushed_hash'>) =>
  sql`exists (select 1 from audit_log
    where seq = ${p('unflushed_seq')} and hash = ${p('unflushed_hash')})`;

/** A deferred commit the database no longer holds: nothing may be written after it. */
function headLost(head: { seq: number; hash: string }): KairosError {
  return new KairosError(
    'AUDIT_HEAD_LOST',
    `the database no longer holds audit row ${head.seq}, committed by this process with its flush deferred (it lost committed transactions: a crash, a failover, a restore); nothing more is written: restart, and recovery reconciles with the venue`,
  );
}

const AUDIT_ACTIONS = new Map<OrderEvent['kind'], string>();

/** An order event's audit action (`OrderPendingCancel`: `order.pending_cancel`), made once a kind. */
function auditAction(kind: OrderEvent['kind']): string {
  let action = AUDIT_ACTIONS.get(kind);
  if (action === undefined) {
    const what = kind
      .replace(/^Order/, '')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase();
    action = `order.${what === 'initialized' ? 'created' : what}`;
    AUDIT_ACTIONS.set(kind, action);
  }
  return action;
}

/** The audit row of an order event: who (the strategy or user), what, the order's state after. */
function auditEntry(after: Order, event: OrderEvent): AuditEntry {
  return {
    ts: event.ts,
    actor: after.strategyId,
    role: after.strategyId.startsWith('user:') ? 'trader' : 'strategy',
    action: auditAction(event.kind),
    subject: after.clientOrderId,
    payload: {
      instrumentId: after.instrumentId,
      side: after.side,
      type: after.type,
      quantity: after.quantity.toFixed(),
      price: after.price?.toFixed() ?? null,
      status: after.status,
      filledQuantity: after.filledQuantity.toFixed(),
      reason: after.reason,
      ...(event.kind === 'OrderFilled'
        ? {
            fill: {
              tradeId: event.fill.tradeId,
              price: event.fill.price.toFixed(),
              quantity: event.fill.quantity.toFixed(),
            },
          }
        : {}),
    },
  };
}

/** The slots of the one-statement commit (`commitStatement`). */
type CommitSlot =
  | AuditAppendSlot
  | 'unflushed_seq'
  | 'unflushed_hash'
  | 'new_orders'
  | 'changed_orders'
  | 'changed_count'
  | 'new_fills'
  | 'fill_count'
  | 'event_ids'
  | 'event_kinds'
  | 'event_ts'
  | 'event_payloads';

/** The parts a one-statement commit has (a shape: these bits or'ed; its text is made once). */
const UNFLUSHED = 1;
const DEFER = 2;
const NEW_ORDERS = 4;
const CHANGED_ORDERS = 8;
const NEW_FILLS = 16;

/**
 * The one-statement commit of a batch of `shape` (`OrderRepository.commitBatch`), its values as
 * slots; `fence`: the lease check's query (its values bound once, with the text).
 */
function commitStatement(
  p: Slot<CommitSlot>,
  shape: number,
  fence: RawBuilder<unknown> | undefined,
): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  const whenMoved = sql`where exists (select 1 from upd)`;
  if (fence) parts.push(sql`fence as materialized (${fence})`);
  parts.push(
    sql`upd as (${conditionalAppendParts(p).moveHead}
      ${fence ? sql`and exists (select 1 from fence)` : sql``}
      ${shape & UNFLUSHED ? sql`and ${stillStored(p)}` : sql``}
      returning 1)`,
  );
  // Read by the final select, so it runs: the setting lasts until this statement commits.
  if (shape & DEFER)
    parts.push(sql`deferred as (select set_config('synchronous_commit', 'off', true))`);
  if (shape & NEW_ORDERS)
    parts.push(
      sql`new_orders as (insert into orders ${orderColumns(p('new_orders'))} ${whenMoved})`,
    );
  // A state change applies only to the same order's row; a row of another order under its id
  // is left as it is, returns nothing, and the count below then fails the whole statement.
  if (shape & CHANGED_ORDERS)
    parts.push(sql`changed_orders as (insert into orders ${orderColumns(p('changed_orders'))}
      ${whenMoved}
      on conflict (client_order_id) do update set status = excluded.status,
        venue_order_id = excluded.venue_order_id, filled_quantity = excluded.filled_quantity,
        filled_notional = excluded.filled_notional, reason = excluded.reason,
        updated_at = excluded.updated_at
      where ${SAME_ORDER}
      returning 1)`);
  // A plain insert: a trade already stored fails the statement, and the transaction then
  // tells a venue's repeat (skipped) from a conflict (FILL_CONFLICT). A fill the database did
  // not store (a trigger dropped it) fails it by the count below, and the transaction raises
  // FILL_NOT_STORED.
  if (shape & NEW_FILLS)
    parts.push(sql`new_fills as (${fillInsert(p('new_fills'))} ${whenMoved} returning 1)`);
  parts.push(sql`new_events as (insert into order_events (client_order_id, kind, ts, payload)
    select e.client_order_id, e.kind, e.ts, e.payload::jsonb
    from rows from (unnest(${p('event_ids')}::text[]), unnest(${p('event_kinds')}::text[]),
      unnest(${p('event_ts')}::bigint[]), json_array_elements(${p('event_payloads')}::json))
      with ordinality as e(client_order_id, kind, ts, payload, i)
    ${whenMoved} order by e.i returning seq)`);
  parts.push(sql`audit_rows as (${conditionalAppendParts(p).insertRows} ${whenMoved})`);
  const fenced = fence ? sql`(select count(*) from fence)::int` : sql`1`;
  // A state change that met another order's row: a division by zero, so the statement writes
  // nothing and the transaction raises ORDER_CONFLICT (a count, not a constant: never folded).
  const owned =
    shape & CHANGED_ORDERS
      ? sql`, 1 / ((select count(*) from changed_orders) = ${p('changed_count')}
          or not exists (select 1 from upd))::int as owned`
      : sql``;
  const stored =
    shape & NEW_FILLS
      ? sql`, 1 / ((select count(*) from new_fills) = ${p('fill_count')}
          or not exists (select 1 from upd))::int as stored`
      : sql``;
  return sql`${sql.raw(COMMITTED_STATEMENT)}
    with ${sql.join(parts)}
    select ${fenced} as fenced, (select count(*) from upd)::int as moved ${owned} ${stored},
      (select string_agg(seq::text, ',' order by seq) from new_events) as seqs
      ${shape & DEFER ? sql`, (select count(*) from deferred)::int as deferred` : sql``}`;
}

/**
 * Orders, their append-only events and fills in Postgres or PGlite (the OMS's `OrderStore`).
 * Each write is one transaction: the order row, its event and, for a fill, the fill row, with
 * an audit-log row for every event (a failed audit write rolls the change back: fail closed).
 *
 * @example
 * const orders = new OrderRepository(store.db, 'paper');
 * await orders.insertOrder(order, initializedEvent);
 */
export class OrderRepository implements OrderStore {
  /**
   * The audit head of this repository's last commit whose flush was deferred, until a flushed
   * commit or `flush()` has checked it is still there (and so made it durable); null when none.
   */
  #unflushed: { seq: number; hash: string } | null = null;
  /** The one-statement commit of each shape met so far, its text made once. */
  readonly #statements = new Map<number, FixedStatement<CommitSlot>>();

  constructor(
    private readonly db: Kysely<Schema>,
    /** The one account this repository reads and writes. */
    readonly accountId: string,
    /** The audit log's wall clock (ms): events carry the market time, their rows both. */
    private readonly now: () => number = Date.now,
    /**
     * The account's lease check (`LeaseRepository.fence`), run first in every write: an owner
     * that lost its lease writes nothing (`LEASE_LOST`), so it sends nothing either.
     */
    private readonly fence?: Fence,
  ) {}

  async insertOrder(order: Order, event: OrderEvent): Promise<void> {
    await this.#inTurn(() => this.#write((tx) => this.#apply(tx, order, event)));
  }

  async recordEvent(after: Order, event: OrderEvent): Promise<boolean> {
    return this.#inTurn(() => this.#write((tx) => this.#apply(tx, after, event)));
  }

  /**
   * Runs a write that moves the audit chain's head in this store's turn (`inChainTurn`): the
   * process's journals write one at a time, each from the head the one before wrote, so none
   * finds the head moved by its own process and waits for its lock in the database. Inside a
   * caller's transaction it runs at once (that connection must not wait on the queue).
   */
  #inTurn<T>(write: () => Promise<T>): Promise<T> {
    return this.db.isTransaction ? write() : inChainTurn(auditHeadOf(this.db), write);
  }

  /** One write transaction, fenced when the repository has a lease. */
  #write<T>(body: (tx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return fencedTransaction(this.db, this.fence, body);
  }

  /**
   * Makes the deferred commits durable: one flushed statement that rewrites the audit head as
   * it is only if the last deferred commit's audit row is still stored, so a database that
   * lost it (a crash before its flush) fails this (`AUDIT_HEAD_LOST`) rather than hides it.
   */
  async flush(): Promise<void> {
    if (!this.#unflushed) return;
    await this.#inTurn(async () => {
      const unflushed = this.#unflushed;
      if (!unflushed) return;
      const { rows } = await sql<{ kept: number }>`${sql.raw(COMMITTED_STATEMENT)}
        update audit_head set seq = seq where id = 1
          and ${stillStored(boundSlots({ unflushed_seq: unflushed.seq, unflushed_hash: unflushed.hash }))}
        returning 1 as kept`.execute(this.db);
      if (rows.length !== 1) throw headLost(unflushed);
      if (this.#unflushed === unflushed) this.#unflushed = null;
    });
  }

  async commitBatch(
    items: readonly { readonly after: Order; readonly event: OrderEvent }[],
    durability: CommitDurability = 'flushed',
  ): Promise<(number | null)[]> {
    if (items.length === 0) return [];
    // The last state of each order, the new fills, then the events in order.
    const finalState = new Map<string, OrdersTable>();
    for (const { after } of items)
      finalState.set(after.clientOrderId, orderRow(after, this.accountId));
    const fills = items.flatMap(({ event: e }) =>
      e.kind === 'OrderFilled' ? [fillRow(e.fill, this.accountId)] : [],
    );
    const created = new Set(
      items
        .filter(({ event }) => event.kind === 'OrderInitialized')
        .map(({ after }) => after.clientOrderId),
    );
    const newRows = [...finalState.values()].filter((r) => created.has(r.client_order_id));
    const changed = [...finalState.values()].filter((r) => !created.has(r.client_order_id));
    const defer = durability === 'deferred' && canDeferFlush(this.db);
    return this.#inTurn(
      async () =>
        (await this.#commitInOneStatement(items, newRows, changed, fills, defer)) ??
        this.#commitInTransaction(items, newRows, changed, fills),
    );
  }

  /** The batch in a transaction, the audit head read under its lock when the hint is stale. */
  async #commitInTransaction(
    items: readonly { readonly after: Order; readonly event: OrderEvent }[],
    newRows: readonly OrdersTable[],
    changed: readonly OrdersTable[],
    fills: readonly FillsTable[],
  ): Promise<(number | null)[]> {
    const unflushed = this.#unflushed;
    const seqs = await this.#write(async (tx) => {
      // A deferred commit the database no longer has: fail closed, write nothing after it.
      if (unflushed) {
        const kept = await tx
          .selectFrom('audit_log')
          .select('seq')
          .where('seq', '=', unflushed.seq)
          .where('hash', '=', unflushed.hash)
          .executeTakeFirst();
        if (!kept) throw headLost(unflushed);
      }
      // A new order's client order id must be free; a state change applies only to the same
      // order's row. Either way a taken id is ORDER_CONFLICT, and the transaction rolls back.
      for (const rows of chunks(newRows, 500)) await insertNewOrders(tx, this.accountId, rows);
      for (const rows of chunks(changed, 500)) {
        const done = await tx
          .insertInto('orders')
          .values(rows)
          .onConflict((oc) =>
            oc
              .column('client_order_id')
              .doUpdateSet((eb) => ({
                status: eb.ref('excluded.status'),
                venue_order_id: eb.ref('excluded.venue_order_id'),
                filled_quantity: eb.ref('excluded.filled_quantity'),
                filled_notional: eb.ref('excluded.filled_notional'),
                reason: eb.ref('excluded.reason'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where(SAME_ORDER),
          )
          .returning('client_order_id')
          .execute();
        if (done.length !== rows.length)
          throw (
            (await orderConflict(tx, this.accountId, unwritten(rows, done), false)) ??
            rowsLost(this.accountId)
          );
      }
      const fresh = new Set<string>();
      for (const rows of chunks(fills, 500)) {
        for (const key of await insertFills(tx, rows)) fresh.add(key);
      }
      const written = items.filter(
        ({ event: e }) =>
          e.kind !== 'OrderFilled' || fresh.has(`${e.fill.venue}:${e.fill.tradeId}`),
      );
      const stored = new Map<object, number>();
      for (const rows of chunks(written, 500)) {
        const got = await tx
          .insertInto('order_events')
          .values(rows.map(eventRow))
          .returning('seq')
          .execute();
        rows.forEach((item, i) => stored.set(item, Number(got[i]!.seq)));
      }
      // Every order command and state change, in the same transaction (invariant 9).
      await new AuditRepository(tx, this.now, auditHeadOf(this.db)).appendMany(
        written.map(({ after, event }) => auditEntry(after, event)),
        tx,
      );
      // Each event's place; null for a fill already stored (not written again).
      return items.map((item) => stored.get(item) ?? null);
    });
    // Flushed, and checked above: the deferred commits before it are durable.
    if (this.#unflushed === unflushed) this.#unflushed = null;
    return seqs;
  }

  /**
   * The whole batch as one statement, committed on its own (one round trip instead of BEGIN,
   * the fence, three to five statements and COMMIT): the lease check, the audit head moved
   * from the head this store's writers wrote last, and every insert made conditional on both,
   * so a statement that finds the lease lost or the head moved writes nothing. True when the
   * batch is committed; false when it must take the transaction instead: the head is not known
   * or another writer moved it, the repository runs inside a caller's transaction, or the
   * database refused the statement (a fill already stored, a taken client order id, a state
   * change that met another order's row: the transaction sorts those out and raises what it
   * must, `FILL_CONFLICT`, `ORDER_CONFLICT`; the refused statement wrote nothing).
   * Committed: each event's `seq`, in order; else null.
   */
  async #commitInOneStatement(
    items: readonly { readonly after: Order; readonly event: OrderEvent }[],
    newRows: readonly OrdersTable[],
    changed: readonly OrdersTable[],
    fills: readonly FillsTable[],
    /** Commit without waiting for the flush (`synchronous_commit` off for this one statement). */
    defer: boolean,
  ): Promise<number[] | null> {
    const fence = this.fence;
    const check = fence?.inStatement;
    if (this.db.isTransaction || (fence && !check)) return null;
    const audit = new AuditRepository(this.db, this.now, auditHeadOf(this.db));
    // Every order command and state change, in the same statement (invariant 9).
    const append = audit.prepareConditional(
      items.map(({ after, event }) => auditEntry(after, event)),
    );
    if (!append) return null;
    // After a deferred commit, the head moves only if its audit row is still stored: a
    // database that lost it (crashed before its flush) gets nothing written after it.
    const unflushed = this.#unflushed;
    const shape =
      (unflushed ? UNFLUSHED : 0) |
      (defer ? DEFER : 0) |
      (newRows.length > 0 ? NEW_ORDERS : 0) |
      (changed.length > 0 ? CHANGED_ORDERS : 0) |
      (fills.length > 0 ? NEW_FILLS : 0);
    let statement = this.#statements.get(shape);
    if (!statement) {
      statement = new FixedStatement(this.db, (p) => commitStatement(p, shape, check?.rows));
      this.#statements.set(shape, statement);
    }
    const events = eventArrays(items.map(eventRow));
    // Only the slots of this shape are read; the others stay as they are, unused. The audit's
    // values (a fresh object) take the journal's: on Node 20 a spread into a new object literal
    // that adds keys cost more than building this statement's text had.
    const values: Record<CommitSlot, string | number> = Object.assign(append.values, {
      unflushed_seq: unflushed?.seq ?? 0,
      unflushed_hash: unflushed?.hash ?? '',
      new_orders: newRows.length > 0 ? JSON.stringify(newRows) : '',
      changed_orders: changed.length > 0 ? JSON.stringify(changed) : '',
      changed_count: changed.length,
      new_fills: fills.length > 0 ? JSON.stringify(fills) : '',
      fill_count: fills.length,
      event_ids: events.ids,
      event_kinds: events.kinds,
      event_ts: events.ts,
      event_payloads: events.payloads,
    });
    type Answer = { fenced: number; moved: number; seqs: string | null };
    let result: Answer | undefined;
    try {
      ({
        rows: [result],
      } = await statement.execute<Answer>(this.db, values));
    } catch (e) {
      // Our own bug (a slot with no value): nothing was sent.
      if (e instanceof InvariantError) {
        audit.settled(append, false);
        throw e;
      }
      // Refused by the database: nothing was written, and the transaction will say why.
      if (!isConnectionFailure(e) && typeof (e as { code?: unknown }).code === 'string') {
        audit.settled(append, false);
        return null;
      }
      // The connection was lost: committed or not, nobody knows; nothing more is written.
      audit.settled(append, null);
      throw await fencedWriteFailure(this.db, fence, e);
    }
    if (check && result?.fenced !== 1) {
      audit.settled(append, false);
      throw check.lost();
    }
    const moved = result?.moved === 1;
    audit.settled(append, moved);
    if (moved) {
      const { last } = append;
      // Flushed, it made the deferred commits before it durable (it checked the last one).
      this.#unflushed = defer ? { seq: last.seq, hash: last.hash } : null;
    }
    // Every event is written, in order (a fill already stored fails the statement).
    return moved ? (result?.seqs ?? '').split(',').map(Number) : null;
  }

  /** One event inside a transaction; false when it was a fill already stored. */
  async #apply(tx: Transaction<Schema>, after: Order, event: OrderEvent): Promise<boolean> {
    const row = orderRow(after, this.accountId);
    if (event.kind === 'OrderInitialized') {
      await insertNewOrders(tx, this.accountId, [row]);
    } else {
      if (event.kind === 'OrderFilled') {
        const fresh = await insertFills(tx, [fillRow(event.fill, this.accountId)]);
        if (fresh.size === 0) return false;
      }
      // Only the same order's row (every identity column matches), only its state.
      const done = await tx
        .updateTable('orders')
        .set({
          status: row.status,
          venue_order_id: row.venue_order_id,
          filled_quantity: row.filled_quantity,
          filled_notional: row.filled_notional,
          reason: row.reason,
          updated_at: row.updated_at,
        })
        .where('client_order_id', '=', row.client_order_id)
        .where((eb) => eb.and(ORDER_IDENTITY.map((c) => eb(c, 'is not distinct from', row[c]))))
        .returning('client_order_id')
        .execute();
      // No row under the id at all: an event of an order never stored (the OMS's bug) is
      // refused here, as `order_events` keeps no foreign key (migration 0014).
      if (done.length === 0)
        throw (await orderConflict(tx, this.accountId, [row], false)) ?? orderNotStored(row);
    }
    await tx.insertInto('order_events').values(eventRow({ after, event })).execute();
    await new AuditRepository(tx, this.now, auditHeadOf(this.db)).append(
      auditEntry(after, event),
      tx,
    );
    return true;
  }

  async order(clientOrderId: string): Promise<Order | undefined> {
    const r = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('account_id', '=', this.accountId)
      .where('client_order_id', '=', clientOrderId)
      .executeTakeFirst();
    return r ? toOrder(r) : undefined;
  }

  /**
   * No index on `venue_order_id`: every state change of an order is written to each index of
   * `orders` (issue 18), and this is asked only for a trade whose order neither the OMS nor the
   * venue client holds and whose client id the trade does not name readably (a hashed-id venue):
   * one scan of the account's orders then (`docs/decisions/execution-client-retention.md`).
   */
  async orderByVenueId(venueOrderId: string): Promise<Order | undefined> {
    const r = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('account_id', '=', this.accountId)
      .where('venue_order_id', '=', venueOrderId)
      .orderBy('created_at', 'desc')
      .orderBy('client_order_id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toOrder(r) : undefined;
  }

  async orders(clientOrderIds: readonly string[]): Promise<Order[]> {
    if (clientOrderIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('account_id', '=', this.accountId)
      .where('client_order_id', 'in', clientOrderIds)
      .execute();
    return rows.map(toOrder);
  }

  /**
   * Start-up's one read: the open orders, those made since `madeSince` and those closed within
   * `closedWithin`, in one statement and one pass over the account's orders (the three lists by
   * creation time and id, as each was read on its own before). No index serves it: `updated_at`
   * changes with every event of an order, so an index on it would be written on every state
   * change (and forbid HOT updates: issue 18), and no index of `orders` serves `created_at`
   * either. A window that ends at the latest update stored (`orLatestUpdate`) takes it from a
   * second, narrow pass in the same statement (`max(updated_at)` of the account).
   */
  async restorable(query: RestoreQuery): Promise<RestorableOrders> {
    const made = query.madeSince;
    const win = query.closedWithin;
    if (made !== undefined) restoreTime('madeSince', made);
    if (win) {
      restoreTime('closedWithin.endsAt', win.endsAt);
      restoreTime('closedWithin.ms', win.ms);
      if (win.ms < 0) throw restoreInvalid('closedWithin.ms', win.ms, 'must not be negative');
    }
    const open = sql<boolean>`orders.status not in (${sql.join([...TERMINAL, 'INITIALIZED'])})`;
    const isMade =
      made === undefined ? sql<boolean>`false` : sql<boolean>`orders.created_at >= ${made}`;
    const end = !win
      ? null
      : win.orLatestUpdate
        ? sql`greatest(${win.endsAt}::bigint, (select updated_at from latest))`
        : sql`${win.endsAt}::bigint`;
    const isClosed =
      end === null
        ? sql<boolean>`false`
        : sql<boolean>`(orders.status in (${sql.join(TERMINAL)}) and orders.updated_at >= ${end} - ${win!.ms}::bigint)`;
    // The latest update is read once, first (a materialized CTE, a scalar in the scan's filter:
    // a join to it filtered each row of the scan after the join, dearer than the filter).
    const base = win?.orLatestUpdate
      ? this.db
          .with(
            (cte) => cte('latest').materialized(),
            (db) =>
              db
                .selectFrom('orders')
                .select((eb) => eb.fn.max('updated_at').as('updated_at'))
                .where('account_id', '=', this.accountId),
          )
          .selectFrom('orders')
      : this.db.selectFrom('orders');
    const rows = await base
      .selectAll('orders')
      .select([open.as('is_open'), isMade.as('is_made'), isClosed.as('is_closed')])
      .where('orders.account_id', '=', this.accountId)
      .where(sql<boolean>`(${open} or ${isMade} or ${isClosed})`)
      .orderBy('orders.created_at')
      .orderBy('orders.client_order_id')
      .execute();
    const out = { open: [] as Order[], made: [] as Order[], closed: [] as Order[] };
    for (const r of rows) {
      const o = toOrder(r);
      if (r.is_open) out.open.push(o);
      if (r.is_made) out.made.push(o);
      if (r.is_closed) out.closed.push(o);
    }
    return out;
  }

  /** Orders created at or after `ts`, whatever their status, by creation time and id. */
  async ordersSince(ts: number): Promise<Order[]> {
    const rows = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('account_id', '=', this.accountId)
      .where('created_at', '>=', ts)
      .orderBy('created_at')
      .orderBy('client_order_id')
      .execute();
    return rows.map(toOrder);
  }

  /**
   * One page of an owner's orders, newest first, with optional filters. `before` is the cursor
   * the previous page returned (keyset pagination on creation time and id, stable under inserts).
   */
  page(
    owner: string | readonly string[],
    opts: { status?: string; instrumentId?: string; before?: string; limit: number },
  ): Promise<{ orders: Order[]; next: string | null }> {
    return pageOrders(this.db, [{ accountId: this.accountId, owners: ownerList(owner) }], opts);
  }

  async fills(since = 0): Promise<Fill[]> {
    const rows = await this.db
      .selectFrom('fills')
      .selectAll('fills')
      .where('fills.account_id', '=', this.accountId)
      .where('fills.ts', '>=', since)
      .orderBy('fills.ts')
      .orderBy('fills.trade_id')
      .orderBy('fills.venue')
      .execute();
    return rows.map(toFill);
  }

  ledgerStart(whole = false): Promise<LedgerStart> {
    return ledgerStart(this.db, this.accountId, whole);
  }

  saveLedgerCheckpoint(checkpoint: LedgerCheckpoint): Promise<void> {
    return saveLedgerCheckpoint(this.db, this.accountId, checkpoint);
  }

  async fillsOf(clientOrderIds: readonly string[]): Promise<Fill[]> {
    const out: Fill[] = [];
    // Through the orders' fill events: `order_events` is indexed by order, `fills` is not (an
    // index more on every fill written, issue 18). A fill's event is written with it, only then.
    for (const ids of chunks([...new Set(clientOrderIds)], 1_000)) {
      const rows = await this.db
        .selectFrom('order_events')
        .innerJoin('orders', 'orders.client_order_id', 'order_events.client_order_id')
        .select(['order_events.payload'])
        .where('orders.account_id', '=', this.accountId)
        .where('order_events.client_order_id', 'in', ids)
        .where('order_events.kind', '=', 'OrderFilled')
        .orderBy('order_events.seq')
        .execute();
      for (const r of rows) {
        const e = toEvent(
          typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
          this.accountId,
        );
        if (e.kind === 'OrderFilled') out.push(e.fill);
      }
    }
    return out;
  }

  async storedFills(trades: readonly TradeKey[]): Promise<Fill[]> {
    const byVenue = new Map<string, Set<string>>();
    for (const t of trades) {
      let ids = byVenue.get(t.venue);
      if (!ids) byVenue.set(t.venue, (ids = new Set()));
      ids.add(t.tradeId);
    }
    const out: Fill[] = [];
    // By venue: each look-up is on the fills' key (account, venue, trade id).
    for (const [venue, ids] of byVenue) {
      for (const chunk of chunks([...ids], 1_000)) {
        const rows = await this.db
          .selectFrom('fills')
          .selectAll()
          .where('account_id', '=', this.accountId)
          .where('venue', '=', venue)
          .where('trade_id', 'in', chunk)
          .execute();
        out.push(...rows.map(toFill));
      }
    }
    return out;
  }

  /**
   * One page of the fills of an owner's orders, newest first. `before` is the cursor the
   * previous page returned (keyset on time, venue and trade id).
   */
  fillsPage(
    owner: string | readonly string[],
    opts: { before?: string; limit: number },
  ): Promise<{ fills: Fill[]; next: string | null }> {
    return pageFills(this.db, [{ accountId: this.accountId, owners: ownerList(owner) }], opts);
  }

  /**
   * Another run that owns client order ids starting with `<tag>-` (another account, or another
   * strategy id that makes the same tag), or null: two runs must never share an id sequence.
   */
  async idTagOwner(
    tag: string,
    strategyId: string,
  ): Promise<{ accountId: string; strategyId: string } | null> {
    const like = `${tag.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`;
    const r = await this.db
      .selectFrom('orders')
      .select(['account_id', 'strategy_id'])
      .where('client_order_id', 'like', like)
      // The tag is [A-Za-z0-9_-] only: nothing in it is special to a regular expression.
      .where('client_order_id', '~', `^${tag}-[0-9]+$`)
      .where((eb) =>
        eb.or([eb('account_id', '<>', this.accountId), eb('strategy_id', '<>', strategyId)]),
      )
      .limit(1)
      .executeTakeFirst();
    return r ? { accountId: r.account_id, strategyId: r.strategy_id } : null;
  }

  /**
   * How many of this account's orders are not finished: any status but a terminal one,
   * INITIALIZED included (its core would send it at recovery). Closing an account whose core is
   * not open (its venue down) reads its open orders here.
   */
  async unfinishedCount(): Promise<number> {
    const r = await this.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', this.accountId)
      .where('status', 'not in', TERMINAL)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Every instrument this account has an order on (an account trades what it has traded). */
  async instrumentIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('orders')
      .select('instrument_id')
      .distinct()
      .where('account_id', '=', this.accountId)
      .execute();
    return rows.map((r) => r.instrument_id).sort();
  }

  /** An instrument of this account's orders other than `instrumentId`, or null. */
  async otherInstrument(instrumentId: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('orders')
      .select('instrument_id')
      .where('account_id', '=', this.accountId)
      .where('instrument_id', '<>', instrumentId)
      .limit(1)
      .executeTakeFirst();
    return r?.instrument_id ?? null;
  }

  async events(clientOrderId: string): Promise<OrderEvent[]> {
    return (await this.eventsOf([clientOrderId])).map((e) => e.event);
  }

  async eventsOf(clientOrderIds: readonly string[]): Promise<StoredOrderEvent[]> {
    if (clientOrderIds.length === 0) return [];
    return this.#stored(
      await this.#eventRows()
        .where('order_events.client_order_id', 'in', clientOrderIds)
        .orderBy('order_events.seq')
        .execute(),
    );
  }

  async eventsAfter(strategyId: string, seq: number): Promise<StoredOrderEvent[]> {
    return this.#stored(
      await this.#eventRows()
        .where('orders.strategy_id', '=', strategyId)
        .where('order_events.seq', '>', seq)
        .orderBy('order_events.seq')
        .execute(),
    );
  }

  /** The events of this account's orders, with their place. */
  #eventRows() {
    return this.db
      .selectFrom('order_events')
      .innerJoin('orders', 'orders.client_order_id', 'order_events.client_order_id')
      .select(['order_events.seq', 'order_events.payload'])
      .where('orders.account_id', '=', this.accountId);
  }

  #stored(
    rows: readonly { seq: number | string | bigint; payload: unknown }[],
  ): StoredOrderEvent[] {
    return rows.map((r) => ({
      seq: Number(r.seq),
      event: toEvent(
        typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
        this.accountId,
      ),
    }));
  }
}

const ownerList = (owner: string | readonly string[]): readonly string[] =>
  typeof owner === 'string' ? [owner] : owner;

/**
 * Which orders a reader may see: per account, every order (`owners` null) or those of some
 * owners (`user:<id>` and strategy ids); null: every account's.
 */
export type OrderScope =
  readonly { readonly accountId: string; readonly owners: readonly string[] | null }[] | null;

/** What a page of orders asks for. */
export interface OrderPageQuery {
  status?: string;
  /** Only open orders (neither finished nor only initialized), as `openOrders`. */
  open?: boolean;
  instrumentId?: string;
  before?: string;
  limit: number;
}

/** One page of the orders in `scope`, newest first (`OrderRepository.page`, across accounts). */
export async function pageOrders(
  db: Kysely<Schema>,
  scope: OrderScope,
  opts: OrderPageQuery,
): Promise<{ orders: Order[]; next: string | null }> {
  if (scope !== null && scope.length === 0) return { orders: [], next: null };
  let q = db.selectFrom('orders').selectAll();
  if (scope !== null)
    q = q.where((eb) =>
      eb.or(
        scope.map((s) =>
          s.owners === null
            ? eb('account_id', '=', s.accountId)
            : eb.and([eb('account_id', '=', s.accountId), eb('strategy_id', 'in', [...s.owners])]),
        ),
      ),
    );
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.open) q = q.where('status', 'not in', [...TERMINAL, 'INITIALIZED']);
  if (opts.instrumentId) q = q.where('instrument_id', '=', opts.instrumentId);
  if (opts.before) {
    const [ts, id] = PageCursor.decode(opts.before);
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', ts),
        eb.and([eb('created_at', '=', ts), eb('client_order_id', '<', id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('client_order_id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const orders = rows.slice(0, opts.limit).map(toOrder);
  const last = orders.at(-1);
  return {
    orders,
    next:
      rows.length > opts.limit && last
        ? PageCursor.encode(last.createdAt, last.clientOrderId)
        : null,
  };
}

/** One page of the fills of the orders in `scope`, newest first (`OrderRepository.fillsPage`). */
export async function pageFills(
  db: Kysely<Schema>,
  scope: OrderScope,
  opts: { before?: string; limit: number },
): Promise<{ fills: Fill[]; next: string | null }> {
  if (scope !== null && scope.length === 0) return { fills: [], next: null };
  let q = db
    .selectFrom('fills')
    .innerJoin('orders', 'orders.client_order_id', 'fills.client_order_id')
    .selectAll('fills');
  if (scope !== null)
    q = q.where((eb) =>
      eb.or(
        scope.map((s) =>
          s.owners === null
            ? eb('fills.account_id', '=', s.accountId)
            : eb.and([
                eb('fills.account_id', '=', s.accountId),
                eb('orders.strategy_id', 'in', [...s.owners]),
              ]),
        ),
      ),
    );
  if (opts.before) {
    const [ts, venue, tradeId] = decodeFillCursor(opts.before);
    q = q.where((eb) =>
      eb.or([
        eb('fills.ts', '<', ts),
        eb.and([eb('fills.ts', '=', ts), eb('fills.venue', '<', venue)]),
        eb.and([
          eb('fills.ts', '=', ts),
          eb('fills.venue', '=', venue),
          eb('fills.trade_id', '<', tradeId),
        ]),
      ]),
    );
  }
  const rows = await q
    .orderBy('fills.ts', 'desc')
    .orderBy('fills.venue', 'desc')
    .orderBy('fills.trade_id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const fills = rows.slice(0, opts.limit).map(toFill);
  const last = fills.at(-1);
  return {
    fills,
    next:
      rows.length > opts.limit && last
        ? Buffer.from(JSON.stringify([last.ts, last.venue, last.tradeId])).toString('base64url')
        : null,
  };
}

/** The account and owner of a stored order, null when no order has this id. */
export async function locateOrder(
  db: Kysely<Schema>,
  clientOrderId: string,
): Promise<{ accountId: string; strategyId: string } | null> {
  const r = await db
    .selectFrom('orders')
    .select(['account_id', 'strategy_id'])
    .where('client_order_id', '=', clientOrderId)
    .executeTakeFirst();
  return r ? { accountId: r.account_id, strategyId: r.strategy_id } : null;
}

const FILL_FIELDS = [
  'client_order_id',
  'instrument_id',
  'side',
  'price',
  'quantity',
  'fee',
  'fee_currency',
  'liquidity',
  'ts',
] as const;

/** A fill the insert skipped that is not stored under its key either: nothing is written. */
const fillLost = (r: FillsTable) =>
  new InvariantError(
    'FILL_NOT_STORED',
    `account ${r.account_id}: trade ${r.venue} ${r.trade_id} was neither inserted nor found under its key`,
  );

/**
 * Inserts fills keyed by (account, venue, trade id) and returns the keys (`venue:tradeId`) it
 * stored. A key already stored is skipped only when the stored row is the same trade (a venue
 * reporting it twice); a different row under the key is a `FILL_CONFLICT` (the transaction
 * rolls back and the journal fails closed), no row under it at all `FILL_NOT_STORED`, never a
 * silent skip.
 */
async function insertFills(
  tx: Transaction<Schema>,
  rows: readonly FillsTable[],
): Promise<Set<string>> {
  const fresh = new Set<string>();
  if (rows.length === 0) return fresh;
  const done = await tx
    .insertInto('fills')
    .values([...rows])
    .onConflict((oc) => oc.columns(['account_id', 'venue', 'trade_id']).doNothing())
    .returning(['venue', 'trade_id'])
    .execute();
  for (const d of done) fresh.add(`${d.venue}:${d.trade_id}`);
  const skipped = rows.filter((r) => !fresh.has(`${r.venue}:${r.trade_id}`));
  if (skipped.length === 0) return fresh;
  const accountId = rows[0]!.account_id;
  const stored = await tx
    .selectFrom('fills')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(
      'trade_id',
      'in',
      skipped.map((r) => r.trade_id),
    )
    .execute();
  const byKey = new Map(stored.map((r) => [`${r.venue}:${r.trade_id}`, r]));
  for (const r of skipped) {
    // A key twice in one batch: the first was inserted; the second must be the same trade.
    const before = byKey.get(`${r.venue}:${r.trade_id}`);
    // Skipped, yet nothing under its key: the database did not store the row (a trigger, a
    // rule) and the journal must not go on as if it had (invariant 13: never a silent skip).
    if (!before) throw fillLost(r);
    const diff = firstDiff<FillsTable>(before, r, FILL_FIELDS, ['price', 'quantity', 'fee']);
    if (diff !== null) {
      throw new KairosError(
        'FILL_CONFLICT',
        `account ${accountId}: trade ${r.venue} ${r.trade_id} is stored for another fill (${diff})`,
      );
    }
  }
  return fresh;
}

function decodeFillCursor(cursor: string): [number, string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (
      Array.isArray(v) &&
      typeof v[0] === 'number' &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'string'
    )
      return [v[0], v[1], v[2]];
  } catch {
    // falls through to the error below
  }
  throw new KairosError('CURSOR_INVALID', 'before: not a cursor this API returned');
}
