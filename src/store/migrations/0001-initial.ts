import { sql, type Kysely } from 'kysely';

/** The first schema: every table of the trading core. Money is numeric, time bigint ms. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Unconstrained numeric: exact at any scale (a fixed scale would silently round).
  const money = sql`numeric`;
  await db.schema
    .createTable('instruments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('venue', 'text', (c) => c.notNull())
    .addColumn('base', 'text', (c) => c.notNull())
    .addColumn('quote', 'text', (c) => c.notNull())
    .addColumn('tick_size', money, (c) => c.notNull())
    .addColumn('lot_size', money, (c) => c.notNull())
    .addColumn('min_quantity', money, (c) => c.notNull())
    .addColumn('min_notional', money, (c) => c.notNull())
    .addColumn('maker_fee', money, (c) => c.notNull())
    .addColumn('taker_fee', money, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('venue', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('orders')
    .addColumn('client_order_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('strategy_id', 'text', (c) => c.notNull())
    .addColumn('instrument_id', 'text', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull().check(sql`side in ('BUY', 'SELL')`))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('time_in_force', 'text', (c) => c.notNull())
    .addColumn('quantity', money, (c) => c.notNull())
    .addColumn('price', money)
    .addColumn('trigger_price', money)
    .addColumn('post_only', 'boolean', (c) => c.notNull())
    .addColumn('reduce_only', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('venue_order_id', 'text')
    .addColumn('filled_quantity', money, (c) => c.notNull())
    .addColumn('filled_notional', money, (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('tag', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('orders_open')
    .on('orders')
    .columns(['status', 'strategy_id'])
    .execute();
  await db.schema
    .createTable('order_events')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('client_order_id', 'text', (c) => c.notNull().references('orders.client_order_id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('order_events_order')
    .on('order_events')
    .columns(['client_order_id', 'seq'])
    .execute();
  // Order events are append-only: the database refuses to change or remove one.
  await sql`create function order_events_append_only() returns trigger language plpgsql as $$
    begin raise exception 'order_events is append-only'; end $$`.execute(db);
  await sql`create trigger order_events_no_change before update or delete on order_events
    for each row execute function order_events_append_only()`.execute(db);
  await db.schema
    .createTable('fills')
    .addColumn('venue', 'text', (c) => c.notNull())
    .addColumn('trade_id', 'text', (c) => c.notNull())
    .addColumn('client_order_id', 'text', (c) => c.notNull().references('orders.client_order_id'))
    .addColumn('instrument_id', 'text', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('price', money, (c) => c.notNull())
    .addColumn('quantity', money, (c) => c.notNull())
    .addColumn('fee', money, (c) => c.notNull())
    .addColumn('fee_currency', 'text', (c) => c.notNull())
    .addColumn('liquidity', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fills_pk', ['venue', 'trade_id'])
    .execute();
  await db.schema
    .createTable('positions')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('strategy_id', 'text', (c) => c.notNull())
    .addColumn('instrument_id', 'text', (c) => c.notNull())
    .addColumn('quantity', money, (c) => c.notNull())
    .addColumn('lots', 'jsonb', (c) => c.notNull())
    .addColumn('realized_pnl', money, (c) => c.notNull())
    .addColumn('fees', money, (c) => c.notNull())
    .addColumn('opened_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('positions_pk', ['account_id', 'strategy_id', 'instrument_id'])
    .execute();
  await db.schema
    .createTable('balances')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('total', money, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('balances_pk', ['account_id', 'currency'])
    .execute();
  await db.schema
    .createTable('strategies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('code_sha256', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('strategy_snapshots')
    .addColumn('strategy_id', 'text', (c) => c.notNull().references('strategies.id'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('orders_made', 'bigint', (c) => c.notNull())
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('strategy_snapshots_pk', ['strategy_id', 'seq'])
    .execute();
  await db.schema
    .createTable('risk_limits')
    .addColumn('scope', 'text', (c) =>
      c.notNull().check(sql`scope in ('GLOBAL', 'ACCOUNT', 'STRATEGY', 'INSTRUMENT')`),
    )
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', money, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_limits_pk', ['scope', 'scope_id', 'name'])
    .execute();
  await db.schema
    .createTable('trading_state')
    .addColumn('scope', 'text', (c) =>
      c.notNull().check(sql`scope in ('GLOBAL', 'ACCOUNT', 'STRATEGY')`),
    )
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('ACTIVE', 'REDUCING', 'HALTED')`),
    )
    .addColumn('reason', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('trading_state_pk', ['scope', 'scope_id'])
    .execute();
  await db.schema
    .createTable('backtest_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('strategy_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('report', 'jsonb')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // Candles are partitioned by month of open_time; partitions are made on demand.
  await sql`create table candles (
    instrument_id text not null,
    interval_ms bigint not null,
    open_time bigint not null,
    open numeric not null,
    high numeric not null,
    low numeric not null,
    close numeric not null,
    volume numeric not null,
    primary key (instrument_id, interval_ms, open_time)
  ) partition by range (open_time)`.execute(db);
}

/** Drops everything `up` made. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'candles',
    'backtest_runs',
    'trading_state',
    'risk_limits',
    'strategy_snapshots',
    'strategies',
    'balances',
    'positions',
    'fills',
    'order_events',
    'orders',
    'accounts',
    'instruments',
  ]) {
    await db.schema.dropTable(t).ifExists().cascade().execute();
  }
  await sql`drop function if exists order_events_append_only() cascade`.execute(db);
}
