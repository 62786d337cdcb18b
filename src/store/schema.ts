import type { Generated } from 'kysely';

/**
 * The database schema as kysely types. Times are integer ms since the epoch (`bigint`), money is
 * `numeric`; both come back from either dialect as strings (see `open-database.ts`).
 */
export interface Schema {
  instruments: InstrumentsTable;
  accounts: AccountsTable;
  orders: OrdersTable;
  order_events: OrderEventsTable;
  fills: FillsTable;
  positions: PositionsTable;
  balances: BalancesTable;
  strategies: StrategiesTable;
  strategy_snapshots: StrategySnapshotsTable;
  risk_limits: RiskLimitsTable;
  trading_state: TradingStateTable;
  backtest_runs: BacktestRunsTable;
  candles: CandlesTable;
  risk_events: RiskEventsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}

type Int8 = string | number | bigint;
type Numeric = string;

export interface InstrumentsTable {
  id: string;
  venue: string;
  base: string;
  quote: string;
  tick_size: Numeric;
  lot_size: Numeric;
  min_quantity: Numeric;
  min_notional: Numeric;
  maker_fee: Numeric;
  taker_fee: Numeric;
  updated_at: Int8;
}

export interface AccountsTable {
  id: string;
  venue: string;
  name: string;
  created_at: Int8;
}

export interface OrdersTable {
  client_order_id: string;
  account_id: string;
  strategy_id: string;
  instrument_id: string;
  side: string;
  type: string;
  time_in_force: string;
  quantity: Numeric;
  price: Numeric | null;
  trigger_price: Numeric | null;
  post_only: boolean;
  reduce_only: boolean;
  status: string;
  venue_order_id: string | null;
  filled_quantity: Numeric;
  filled_notional: Numeric;
  reason: string | null;
  tag: string | null;
  created_at: Int8;
  updated_at: Int8;
}

export interface OrderEventsTable {
  seq: Generated<Int8>;
  client_order_id: string;
  kind: string;
  ts: Int8;
  payload: unknown;
}

export interface FillsTable {
  venue: string;
  trade_id: string;
  client_order_id: string;
  instrument_id: string;
  side: string;
  price: Numeric;
  quantity: Numeric;
  fee: Numeric;
  fee_currency: string;
  liquidity: string;
  ts: Int8;
}

export interface PositionsTable {
  account_id: string;
  strategy_id: string;
  instrument_id: string;
  quantity: Numeric;
  lots: unknown;
  realized_pnl: Numeric;
  fees: Numeric;
  opened_at: Int8 | null;
  updated_at: Int8;
}

export interface BalancesTable {
  account_id: string;
  currency: string;
  total: Numeric;
  updated_at: Int8;
}

export interface StrategiesTable {
  id: string;
  name: string;
  code_sha256: string;
  params: unknown;
  created_at: Int8;
}

export interface StrategySnapshotsTable {
  strategy_id: string;
  seq: Int8;
  ts: Int8;
  orders_made: Int8;
  state: unknown;
  random_state: unknown;
}

export interface RiskLimitsTable {
  scope: string;
  scope_id: string;
  name: string;
  value: Numeric;
  updated_at: Int8;
  updated_by: string;
}

export interface TradingStateTable {
  scope: string;
  scope_id: string;
  state: string;
  reason: string | null;
  updated_at: Int8;
  updated_by: string;
}

export interface BacktestRunsTable {
  id: string;
  strategy_id: string;
  status: string;
  params: unknown;
  report: unknown;
  created_at: Int8;
  finished_at: Int8 | null;
}

export interface CandlesTable {
  instrument_id: string;
  interval_ms: Int8;
  open_time: Int8;
  open: Numeric;
  high: Numeric;
  low: Numeric;
  close: Numeric;
  volume: Numeric;
}

export interface RiskEventsTable {
  seq: Generated<Int8>;
  ts: Int8;
  actor: string;
  kind: string;
  payload: unknown;
}

/** The hash-chained audit log (append-only; `seq` gapless from 1). */
export interface AuditLogTable {
  seq: Int8;
  ts: Int8;
  actor: string;
  role: string;
  action: string;
  subject: string;
  /** Canonical JSON text. */
  payload: string;
  prev_hash: string;
  hash: string;
}

/** The audit log's one-row head: the last seq, time and hash, locked by each append. */
export interface AuditHeadTable {
  id: number;
  seq: Int8;
  ts: Int8;
  hash: string;
}
