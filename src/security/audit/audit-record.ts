import type { JsonValue } from './canonical.js';

/**
 * The latest time a row may carry (`ts`, `wallTs`): the last millisecond a JavaScript `Date`
 * holds (+275760-09-13), since the CSV export writes each time as an ISO date as well.
 */
export const MAX_TIME_MS = 8_640_000_000_000_000;

/**
 * The most bytes of a row's `actor`, `role`, `action` and `subject` (each as a JSON string) and
 * canonical payload together (1 MiB): its export line then stays within what the offline
 * verifier reads (`MAX_LINE_BYTES`, a CSV record's doubled quotes included).
 */
export const MAX_ROW_BYTES = 1024 * 1024;

/** What a caller records: who did what to which thing, and when (ms since the epoch, UTC). */
export interface AuditEntry {
  /**
   * When it happened by the caller's clock: the market time of a replayed or backtested run,
   * the wall time otherwise. Kept as given; the log adds its own wall time (`wallTs`).
   */
  readonly ts: number;
  /** Who: a user name, a strategy id, `system`. */
  readonly actor: string;
  /** The role the actor acted in (`trader`, `risk_officer`, `cli`, ...). */
  readonly role: string;
  /** What, dotted and past tense by convention: `order.submitted`, `risk.limit_changed`. */
  readonly action: string;
  /** Which thing: an order id, a limit name, a user; empty when none. */
  readonly subject: string;
  /** Details (before/after values, reason codes); never a secret. Default `{}`. */
  readonly payload?: JsonValue;
}

/**
 * Which canonical form a row's hash covers (`chain.ts`): 1 for rows written before the log had
 * a wall time (their `wallTs` is their `ts`, by rule), 2 for every row since (it covers both).
 */
export type HashVersion = 1 | 2;

/** The fields of a row the chain hash covers (version 1 rows: all but `wallTs`, `hashVersion`). */
export interface AuditFields {
  readonly seq: number;
  readonly ts: number;
  /** When the log recorded the row (wall clock, ms); never goes back along `seq`. */
  readonly wallTs: number;
  readonly hashVersion: HashVersion;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly subject: string;
  readonly payload: JsonValue;
}

/**
 * One row of the audit log: gapless `seq` from 1, and its place in the hash chain.
 *
 * @example
 * { seq: 1, ts: 1509836520000, wallTs: 1764770000000, hashVersion: 2, actor: 'alice',
 *   role: 'trader', action: 'order.submitted', subject: 'c-1', payload: { qty: '1' },
 *   prevHash: '000…0', hash: '5e1…' }
 */
export interface AuditRecord extends AuditFields {
  /** The hash of the row before (`GENESIS_HASH` for seq 1). */
  readonly prevHash: string;
  /** SHA-256(prevHash ‖ canonical row), lower-case hex. */
  readonly hash: string;
}
