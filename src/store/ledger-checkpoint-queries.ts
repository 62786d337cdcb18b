import { sql, type Kysely } from 'kysely';
import { mayHoldUnstorable } from '../security/audit/canonical.js';
import { InvariantError } from '../trading/core/errors.js';
import type { LedgerCheckpoint, LedgerStart, OwnedFill } from '../trading/execution/order-store.js';
import type { LedgerState } from '../trading/portfolio/ledger-state.js';
import { toFill } from './fill-row.js';
import type { FillsTable, Schema } from './schema.js';

interface StartRow extends FillsTable {
  readonly owner: string | null;
  readonly state: unknown;
  readonly cp_fills: string | number | null;
  readonly cp_ts: string | number | null;
  readonly cp_trade_id: string | null;
  readonly cp_venue: string | null;
}

/**
 * `OrderStore.ledgerStart` of one account, one statement: the checkpoint if the fills at or before
 * its cut are still as many as it covered (its state on the first row only), and the fills after
 * it with their orders' owners, in the fills' order (time, trade id, venue); else, and with
 * `whole`, no checkpoint and every fill.
 * Always one row at least (no fill: the fill's columns are null).
 */
export async function ledgerStart(
  db: Kysely<Schema>,
  accountId: string,
  whole: boolean,
): Promise<LedgerStart> {
  const { rows } = await sql<StartRow>`
    with saved as materialized (
      select through_ts, through_trade_id, through_venue, fills, state
      from ledger_checkpoints where account_id = ${accountId} and not ${whole}
    ),
    cp as materialized (
      select s.* from saved s
      where s.fills = (select count(*) from fills c
        where c.account_id = ${accountId}
          and (c.ts, c.trade_id, c.venue) <= (s.through_ts, s.through_trade_id, s.through_venue))
    ),
    tail as (
      select f.*, o.strategy_id as owner
      from fills f
      left join orders o on o.client_order_id = f.client_order_id and o.account_id = f.account_id
      where f.account_id = ${accountId}
        and not exists (select 1 from cp
          where (f.ts, f.trade_id, f.venue) <= (cp.through_ts, cp.through_trade_id, cp.through_venue))
    )
    select t.*,
      case when row_number() over (order by t.ts, t.trade_id, t.venue) = 1 then h.state end as state,
      h.fills as cp_fills, h.through_ts as cp_ts, h.through_trade_id as cp_trade_id,
      h.through_venue as cp_venue
    from (select 1) one
    left join cp h on true
    left join tail t on true
    order by t.ts, t.trade_id, t.venue`.execute(db);
  const head = rows[0]!;
  const after: OwnedFill[] = [];
  for (const r of rows)
    if (r.trade_id !== null) after.push({ fill: toFill(r), owner: r.owner ?? undefined });
  const checkpoint: LedgerCheckpoint | null =
    head.cp_ts === null
      ? null
      : {
          through: { ts: Number(head.cp_ts), tradeId: head.cp_trade_id!, venue: head.cp_venue! },
          fills: Number(head.cp_fills),
          state: (typeof head.state === 'string'
            ? JSON.parse(head.state)
            : head.state) as LedgerState,
        };
  return { checkpoint, after };
}

/** `OrderStore.saveLedgerCheckpoint` of one account: replaces the row unless its cut is later. */
export async function saveLedgerCheckpoint(
  db: Kysely<Schema>,
  accountId: string,
  cp: LedgerCheckpoint,
): Promise<void> {
  const state = JSON.stringify(cp.state);
  // Kept as it is or not at all: a string jsonb cannot hold would come back changed.
  if (mayHoldUnstorable(state))
    throw new InvariantError(
      'LEDGER_CHECKPOINT_UNSTORABLE',
      `account ${accountId}: a ledger checkpoint holds text Postgres cannot keep (an owner or instrument id); not saved`,
    );
  const { ts, tradeId, venue } = cp.through;
  await sql`
    insert into ledger_checkpoints as k
      (account_id, through_ts, through_trade_id, through_venue, fills, state)
    values (${accountId}, ${ts}, ${tradeId}, ${venue}, ${cp.fills}, ${state}::jsonb)
    on conflict (account_id) do update set
      through_ts = excluded.through_ts, through_trade_id = excluded.through_trade_id,
      through_venue = excluded.through_venue, fills = excluded.fills, state = excluded.state
    where (excluded.through_ts, excluded.through_trade_id, excluded.through_venue)
      >= (k.through_ts, k.through_trade_id, k.through_venue)`.execute(db);
}
