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
  ledger_checkpoints: LedgerCheckpointsTable;
  positions: PositionsTable;
  balances: BalancesTable;
  strategies: StrategiesTable;
  strategy_snapshots: StrategySnapshotsTable;
  risk_limits: RiskLimitsTable;
  trading_state: TradingStateTable;
  backtest_runs: BacktestRunsTable;
  strategy_deployments: StrategyDeploymentsTable;
  candles: CandlesTable;
  risk_events: RiskEventsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  users: UsersTable;
  totp_steps: TotpStepsTable;
  mfa_failures: MfaFailuresTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  venue_credentials: VenueCredentialsTable;
  leases: LeasesTable;
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

/** An account (0010): a user's paper or live account; orders, fills and snapshots name it. */
export interface AccountsTable {
  id: string;
  venue: string;
  name: string;
  created_at: Int8;
  owner_user_id: string | null;
  /** paper or live. */
  mode: string;
  /** The stored credential of a live account. */
  credential_id: string | null;
  /** A paper account's starting cash, in `cash_currency`. */
  starting_cash: Numeric | null;
  cash_currency: string | null;
  disabled_at: Int8 | null;
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
  account_id: string;
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

/** An account's latest ledger checkpoint (0015). */
export interface LedgerCheckpointsTable {
  account_id: string;
  through_ts: Int8;
  through_trade_id: string;
  through_venue: string;
  fills: Int8;
  state: unknown;
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
  account_id: string;
  strategy_id: string;
  seq: Int8;
  ts: Int8;
  orders_made: Int8;
  state: unknown;
  random_state: unknown;
  /** The largest `order_events.seq` when it was saved (null: saved before migration 0016). */
  events_through: Int8 | null;
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

/** A backtest job of the API; `strategy_id` is the catalog name, `params` the request. */
export interface BacktestRunsTable {
  id: string;
  owner_user_id: string;
  strategy_id: string;
  /** queued, running, done or failed. */
  status: string;
  params: unknown;
  /** `report.json` text, as `kairos backtest` writes it. */
  report: string | null;
  error: string | null;
  created_at: Int8;
  started_at: Int8 | null;
  finished_at: Int8 | null;
}

/** A catalog strategy a user started on the server's core; `id` is its strategy id. */
export interface StrategyDeploymentsTable {
  id: string;
  owner_user_id: string;
  name: string;
  code_sha256: string;
  params: unknown;
  /** running, stopped or failed. */
  status: string;
  error: string | null;
  started_at: Int8;
  stopped_at: Int8 | null;
  /** in-process or lambda (0009); the lambda_* columns are set exactly for lambda. */
  runtime?: string;
  lambda_function?: string | null;
  lambda_qualifier?: string | null;
  lambda_version?: string | null;
  /** The account it trades on (0010; `desk` before). */
  account_id?: string;
  /** The instrument it trades (0013; null: its account's first). */
  instrument_id?: string | null;
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
  /** The entry's own time (a replayed run's market time). */
  ts: Int8;
  /** When the log recorded the row (wall clock); never goes back along `seq`. */
  wall_ts: Int8;
  /** The canonical form the hash covers: 1 (before 0008, `wall_ts = ts`) or 2. */
  hash_version: number;
  actor: string;
  role: string;
  action: string;
  subject: string;
  /** Canonical JSON text. */
  payload: string;
  prev_hash: string;
  hash: string;
}

/** The audit log's one-row head: the last seq, times and hash, locked by each append. */
export interface AuditHeadTable {
  id: number;
  seq: Int8;
  ts: Int8;
  wall_ts: Int8;
  hash: string;
}

/** A user. `username` is stored lower-cased; the TOTP seed only as a `kx1.` envelope. */
export interface UsersTable {
  id: string;
  username: string;
  /** argon2id PHC string. */
  password_hash: string;
  role: string;
  disabled_at: Int8 | null;
  created_at: Int8;
  /** Encrypted at `users/totp_secret/<id>`. */
  totp_secret_ciphertext: string | null;
  totp_confirmed_at: Int8 | null;
  /** The account an order naming none goes to (0010). */
  default_account_id?: string | null;
}

/** The last accepted TOTP time step per user (replay refusal). */
export interface TotpStepsTable {
  user_id: string;
  last_step: Int8;
}

/** Times of failed second-factor attempts. */
export interface MfaFailuresTable {
  user_id: string;
  at: Int8;
}

/** One-time recovery codes, as SHA-256 hex. */
export interface RecoveryCodesTable {
  user_id: string;
  hash: string;
  used_at: Int8 | null;
}

/** A login session (the family of its refresh tokens). */
export interface SessionsTable {
  session_id: string;
  user_id: string;
  created_at: Int8;
  expires_at: Int8;
  revoked_at: Int8 | null;
  revoked_reason: string | null;
}

/** A refresh token, as SHA-256 hex; `rotated_at` set once it was exchanged. */
export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  issued_at: Int8;
  rotated_at: Int8 | null;
}

/** A venue API key; each secret is a `kx1.` envelope at `venue_credentials/<field>/<id>`. */
export interface VenueCredentialsTable {
  id: string;
  owner_user_id: string;
  venue: string;
  label: string;
  api_key_ciphertext: string;
  secret_ciphertext: string;
  passphrase_ciphertext: string | null;
  created_at: Int8;
}

/** Who owns a resource (an account, a running strategy), with the fencing token of its writes. */
export interface LeasesTable {
  resource: string;
  owner: string;
  token: Int8;
  /** Until when, in ms of the database's clock. */
  expires_at: Int8;
}
