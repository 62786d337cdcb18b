import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  MAX_ROW_BYTES,
  MAX_TIME_MS,
  type AuditEntry,
  type AuditFields,
  type AuditRecord,
} from '../security/audit/audit-record.js';
import {
  canonicalJson,
  mayHoldUnstorable,
  storableJson,
  storableText,
  type JsonValue,
} from '../security/audit/canonical.js';
import { chainHashWith, CURRENT_HASH_VERSION } from '../security/audit/chain.js';
import { KairosError } from '../trading/core/errors.js';
import { jsonArray, numberArray, textArray } from './array-literal.js';
import { boundSlots, type Slot } from './fixed-statement.js';
import type { AuditLogTable, Schema } from './schema.js';

/**
 * The hash-chained audit log. `append` locks the one-row `audit_head`, so appends from any number
 * of connections or nodes form one chain with gapless `seq`; pass the caller's transaction to
 * record an action in the same transaction as the change (DESIGN.md invariant 9). The lock is
 * held until that transaction ends, so keep audited transactions short.
 *
 * Each row keeps two times: the entry's `ts` as given (a replayed run's market time) and the
 * wall time of the append, from `now` (the system layer's wall clock). Ranges select by wall
 * time, which never goes back along `seq`, so a range is one contiguous run of the chain.
 *
 * @example
 * const audit = new AuditRepository(db, clock.now);
 * await db.transaction().execute(async (tx) => {
 *   await tx.insertInto('risk_limits').values(row).execute();
 *   await audit.append({ ts, actor: 'rita', role: 'risk_officer', action: 'risk.limit_changed',
 *     subject: 'maxPosition', payload: { before: '10', after: '12' } }, tx);
 * });
 */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    /** The wall clock (ms); `Date.now` unless the system layer passes its own. */
    private readonly now: () => number = Date.now,
    /**
     * The head this process wrote last (`auditHeadOf(rootDb)`), shared by a store's writers: with
     * it an append is one statement, conditional on the head being unchanged; without it, or
     * when another writer moved the head, the head is read under its lock first.
     */
    private readonly head: AuditHeadHint | null = null,
    /** How long (ms) a session holding the head's lock may idle in its transaction (tests shorten it). */
    private readonly headHeldIdleMs: number = HEAD_HELD_IDLE_MS,
  ) {}

  /**
   * Appends one entry and returns the stored row, stamped with the wall time of the append (a
   * clock reading earlier than the last row's wall time takes that time, so wall time never
   * goes back along `seq`). Bad input throws `AUDIT_ENTRY_INVALID`; a database failure throws
   * `AUDIT_WRITE_FAILED` (the caller's transaction must then roll back).
   */
  async append(entry: AuditEntry, db: Kysely<Schema> = this.db): Promise<AuditRecord> {
    return (await this.appendMany([entry], db))[0]!;
  }

  /**
   * Appends entries in order under one lock of the head (a batch of order events costs one
   * lock, one multi-row insert and one head update), with the same rules as `append`.
   */
  async appendMany(
    entries: readonly AuditEntry[],
    db: Kysely<Schema> = this.db,
  ): Promise<AuditRecord[]> {
    if (entries.length === 0) return [];
    const checked = entries.map((e) => checkEntry(e));
    const chain = (head: Head): Chained => this.#chain(head, entries, checked);
    const run = async (tx: Kysely<Schema>): Promise<AuditRecord[]> => {
      const known = this.head?.value;
      if (known && entries.length <= FAST_APPEND_MAX) {
        const chained = chain(known);
        const { records } = chained;
        if (await appendIfHeadIs(tx, known, chained, this.headHeldIdleMs)) {
          this.head!.value = headOf(records);
          return records;
        }
      }
      // Holding the head's lock, this session is ended if it idles in its transaction longer
      // than headHeldIdleMs (HEAD_HELD_IDLE_MS), as after a conditional append.
      const row = await tx
        .selectFrom('audit_head')
        .select(['seq', 'wall_ts', 'hash'])
        .select(
          sql<string>`set_config('idle_in_transaction_session_timeout', ${String(this.headHeldIdleMs)}, true)`.as(
            'idle',
          ),
        )
        .where('id', '=', 1)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const { records, payloads } = chain({
        seq: Number(row.seq),
        wallTs: Number(row.wall_ts),
        hash: row.hash,
      });
      for (let i = 0; i < records.length; i += 500) {
        await tx
          .insertInto('audit_log')
          .values(records.slice(i, i + 500).map((r, j) => auditRow(r, payloads[i + j]!)))
          .execute();
      }
      const last = records.at(-1)!;
      await tx
        .updateTable('audit_head')
        .set({ seq: last.seq, ts: last.ts, wall_ts: last.wallTs, hash: last.hash })
        .where('id', '=', 1)
        .execute();
      if (this.head) this.head.value = headOf(records);
      return records;
    };
    try {
      return db.isTransaction ? await run(db) : await db.transaction().execute(run);
    } catch (e) {
      // The hint may name a head that was never committed: read the head again next time.
      if (this.head) this.head.value = null;
      if (e instanceof KairosError) throw e;
      throw new KairosError('AUDIT_WRITE_FAILED', `audit log: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /**
   * For a writer that appends inside a statement of its own (the order journal's one-statement
   * commit): the records `entries` make after the head this store's writers wrote last, and
   * the values of the statement's parts (`conditionalAppendParts`) that append them only if the
   * head is still that one. Null when the head is not known or the batch is too large: append
   * with `appendMany` then. After the statement, call `settled` with whether it moved the head.
   */
  prepareConditional(entries: readonly AuditEntry[]): ConditionalAppend | null {
    const known = this.head?.value;
    if (!known || entries.length === 0 || entries.length > STATEMENT_APPEND_MAX) return null;
    // The caller gets the values and the new head, never the records: their payloads are
    // not parsed back from the canonical text (a JSON.parse a row, three rows an order).
    const chained = this.#chain(known, entries, entries.map(checkedForStatement));
    return { last: headOf(chained.records), values: conditionalAppendValues(known, chained) };
  }

  /**
   * What became of a `prepareConditional` statement: `true`, it committed and moved the head to
   * its last record; `false`, it wrote nothing (the hint stays a guess the next statement
   * checks); `null`, unknown (the connection was lost): the head is read again next time.
   */
  settled(append: ConditionalAppend, moved: boolean | null): void {
    if (!this.head) return;
    if (moved === true) this.head.value = append.last;
    else if (moved === null) this.head.value = null;
  }

  #chain(head: Head, entries: readonly AuditEntry[], checked: readonly CheckedEntry[]): Chained {
    let seq = head.seq;
    let hash = head.hash;
    // Appends take their wall time in the order they take `seq`.
    const wallTs = Math.max(checkedNow(this.now()), head.wallTs);
    const records = entries.map((entry, i): AuditRecord => {
      // The text fields and payload as stored (`storableText`): what is hashed is what is kept.
      // Written out, not spread: on Node 20 a spread that adds keys costs microseconds a row.
      const { fields: f, payloadJson } = checked[i]!;
      const fields: AuditFields = {
        actor: f.actor,
        role: f.role,
        action: f.action,
        subject: f.subject,
        payload: f.payload,
        seq: ++seq,
        ts: entry.ts,
        wallTs,
        hashVersion: CURRENT_HASH_VERSION,
      };
      const prevHash = hash;
      hash = chainHashWith(prevHash, fields, payloadJson);
      return {
        actor: f.actor,
        role: f.role,
        action: f.action,
        subject: f.subject,
        payload: f.payload,
        seq: fields.seq,
        ts: fields.ts,
        wallTs,
        hashVersion: fields.hashVersion,
        prevHash,
        hash,
      };
    });
    return { records, payloads: checked.map((c) => c.payloadJson) };
  }

  /** The rows recorded (wall time) in `from <= wallTs < to` (ms), in `seq` order. */
  async list(from: number, to: number): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('wall_ts', '>=', from)
      .where('wall_ts', '<', to)
      .orderBy('seq')
      .execute();
    return rows.map(toRecord);
  }

  /**
   * One page of the rows with `from <= wallTs < to` and `seq > after`, in `seq` order, at most
   * `limit` (keyset paging: pass the last `seq` of a page as the next `after`).
   */
  async page(q: {
    from: number;
    to: number;
    after: number;
    limit: number;
  }): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('wall_ts', '>=', q.from)
      .where('wall_ts', '<', q.to)
      .where('seq', '>', q.after)
      .orderBy('seq')
      .limit(q.limit)
      .execute();
    return rows.map(toRecord);
  }

  /** The last row, or null when the log is empty. */
  async last(): Promise<AuditRecord | null> {
    const row = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }
}

/** The chain's last row: what the next append links to. */
type Head = { seq: number; wallTs: number; hash: string };

/**
 * What a store's writers last wrote as the head: a hint, checked by the statement that uses it.
 * `turn` is the end of the last write queued by `inChainTurn`.
 */
export type AuditHeadHint = { value: Head | null; turn?: Promise<void> };

const hints = new WeakMap<object, AuditHeadHint>();

/** The head hint shared by every writer of the store whose root handle is `db`. */
export function auditHeadOf(db: Kysely<Schema>): AuditHeadHint {
  let hint = hints.get(db);
  if (!hint) hints.set(db, (hint = { value: null }));
  return hint;
}

/**
 * Runs `write` once every write queued before it on `hint` has ended, one at a time: a process's
 * order journals (one per account) then extend the chain in turn, each from the head the one
 * before wrote, in one statement. Concurrent, all but one of them found the head moved by
 * another and took the locked path, which holds the head's row lock across three round trips
 * while every other write of every instance waits on it in the database, each holding a pool
 * connection: a process that stalled (a burst of fills on the event loop, a long GC) with the
 * lock held left its own lease renewals with no connection (leases lost under load), and its
 * sessions idle in their transactions (ended at 10 s, 25P03). In turn, a write waits here, before
 * it takes a connection, and holds none while it waits. Never call it inside a transaction (the
 * transaction's connection would wait on the queue).
 *
 * @example
 * await inChainTurn(auditHeadOf(store.db), () => journal.commitBatch(items));
 */
export function inChainTurn<T>(hint: AuditHeadHint, write: () => Promise<T>): Promise<T> {
  const run = (hint.turn ?? Promise.resolve()).then(write);
  hint.turn = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

const headOf = (records: readonly AuditRecord[]): Head => {
  const last = records.at(-1)!;
  return { seq: last.seq, wallTs: last.wallTs, hash: last.hash };
};

/** Appends in one statement; more rows than this take the locked path (its inserts in chunks). */
const FAST_APPEND_MAX = 500;

/**
 * The most rows a caller's own statement appends (`prepareConditional`): the rows go as one
 * array parameter per column, so the statement's size grows with the rows but its parameters do
 * not (a burst of orders at the open is one batch of this order of size).
 */
export const STATEMENT_APPEND_MAX = 20_000;

/**
 * Once an append holds the head's row lock (a conditional append that moved it, or the locked
 * path's `select … for update`), the server ends the session if it stays idle in its transaction
 * longer than this (ms): the lock is then held only for the append's own round trips and the
 * commit that follows, so a writer paused there (SIGSTOP, a partition) stalls the other writers
 * for this long at most instead of the pool's 10 s (`open-store.ts`).
 */
export const HEAD_HELD_IDLE_MS = 2_000;

/**
 * Moves the head from `head` to the last of `records` and inserts them, in one statement, only if
 * the head is still `head` (seq and hash). False: another writer moved it; nothing was written
 * (the update waited for that writer's commit, then matched no row).
 */
async function appendIfHeadIs(
  tx: Kysely<Schema>,
  head: Head,
  chained: Chained,
  idleMs: number,
): Promise<boolean> {
  const { moveHead, insertRows } = conditionalAppendParts(
    boundSlots(conditionalAppendValues(head, chained)),
  );
  const { rows } = await sql<{ moved: number }>`
    with upd as (${moveHead} returning 1), ins as (${insertRows} where exists (select 1 from upd))
    select (select count(*) from upd)::int as moved,
      case when exists (select 1 from upd) then set_config(
        'idle_in_transaction_session_timeout', ${String(idleMs)}, true) end as idle
  `.execute(tx);
  return rows[0]?.moved === 1;
}

/** The values of a conditional append's statement parts (`conditionalAppendParts`). */
export type AuditAppendSlot =
  | 'audit_head_seq'
  | 'audit_head_hash'
  | 'audit_last_seq'
  | 'audit_last_ts'
  | 'audit_last_wall_ts'
  | 'audit_last_hash'
  | 'audit_seqs'
  | 'audit_ts'
  | 'audit_wall_ts'
  | 'audit_hash_versions'
  | 'audit_actors'
  | 'audit_roles'
  | 'audit_actions'
  | 'audit_subjects'
  | 'audit_payloads'
  | 'audit_prev_hashes'
  | 'audit_hashes';

/** A conditional append's new head and the values of the statement parts that write them. */
export interface ConditionalAppend {
  /** The head once the statement moved it: its last record's. */
  readonly last: Readonly<Head>;
  /**
   * The values of `conditionalAppendParts`' slots for these records: a fresh object, to which
   * the caller may add the values of its own statement's slots.
   */
  readonly values: Record<AuditAppendSlot, string | number>;
}

/**
 * The two parts of a statement that appends records only if the head is still the one they
 * were chained from, their values as slots (the text is the same for any rows: the order
 * journal compiles it once, `FixedStatement`):
 * - `moveHead`: `update audit_head … where id = 1 and <the head is still the hint>`; the caller
 *   may add `and …` conditions, then `returning 1`, and use it as a CTE (`upd`);
 * - `insertRows`: `insert into audit_log … select … from unnest(…)`; the caller adds
 *   `where <upd moved>`.
 */
export function conditionalAppendParts(p: Slot<AuditAppendSlot>): {
  moveHead: RawBuilder<unknown>;
  insertRows: RawBuilder<unknown>;
} {
  return {
    moveHead: sql`update audit_head set seq = ${p('audit_last_seq')}, ts = ${p('audit_last_ts')},
      wall_ts = ${p('audit_last_wall_ts')}, hash = ${p('audit_last_hash')}
      where id = 1 and seq = ${p('audit_head_seq')} and hash = ${p('audit_head_hash')}`,
    insertRows: sql`insert into audit_log
        (seq, ts, wall_ts, hash_version, actor, role, action, subject, payload, prev_hash, hash)
      select a.seq, a.ts, a.wall_ts, a.hash_version, a.actor, a.role, a.action, a.subject,
        a.payload::text, a.prev_hash, a.hash
      from rows from (unnest(${p('audit_seqs')}::bigint[]),
        unnest(${p('audit_ts')}::bigint[]),
        unnest(${p('audit_wall_ts')}::bigint[]),
        unnest(${p('audit_hash_versions')}::smallint[]),
        unnest(${p('audit_actors')}::text[]),
        unnest(${p('audit_roles')}::text[]),
        unnest(${p('audit_actions')}::text[]),
        unnest(${p('audit_subjects')}::text[]),
        json_array_elements(${p('audit_payloads')}::json),
        unnest(${p('audit_prev_hashes')}::text[]),
        unnest(${p('audit_hashes')}::text[]))
        as a(seq, ts, wall_ts, hash_version, actor, role, action, subject, payload, prev_hash,
          hash)`,
  };
}

/** Records stamped with their place in the chain, and each one's payload as stored. */
type Chained = { readonly records: AuditRecord[]; readonly payloads: readonly string[] };

/** The slots' values that append `records` after `head`. */
function conditionalAppendValues(
  head: Head,
  { records, payloads }: Chained,
): ConditionalAppend['values'] {
  const last = records.at(-1)!;
  return {
    audit_head_seq: head.seq,
    audit_head_hash: head.hash,
    audit_last_seq: last.seq,
    audit_last_ts: last.ts,
    audit_last_wall_ts: last.wallTs,
    audit_last_hash: last.hash,
    audit_seqs: numberArray(records.map((r) => r.seq)),
    audit_ts: numberArray(records.map((r) => r.ts)),
    audit_wall_ts: numberArray(records.map((r) => r.wallTs)),
    audit_hash_versions: numberArray(records.map((r) => r.hashVersion)),
    audit_actors: textArray(records.map((r) => r.actor)),
    audit_roles: textArray(records.map((r) => r.role)),
    audit_actions: textArray(records.map((r) => r.action)),
    audit_subjects: textArray(records.map((r) => r.subject)),
    audit_payloads: jsonArray(payloads),
    audit_prev_hashes: textArray(records.map((r) => r.prevHash)),
    audit_hashes: textArray(records.map((r) => r.hash)),
  };
}

/** A record as its `audit_log` row, with its payload as stored (canonical JSON). */
function auditRow(r: AuditRecord, payload: string): AuditLogTable {
  return {
    seq: r.seq,
    ts: r.ts,
    wall_ts: r.wallTs,
    hash_version: r.hashVersion,
    actor: r.actor,
    role: r.role,
    action: r.action,
    subject: r.subject,
    payload,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

function toRecord(r: AuditLogTable): AuditRecord {
  return {
    seq: Number(r.seq),
    ts: Number(r.ts),
    wallTs: Number(r.wall_ts),
    hashVersion: r.hash_version === 1 ? 1 : 2,
    actor: r.actor,
    role: r.role,
    action: r.action,
    subject: r.subject,
    payload: JSON.parse(r.payload) as JsonValue,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** The wall clock's reading, refused (an invariant error: our own wiring) unless a time. */
function checkedNow(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new KairosError('AUDIT_ENTRY_INVALID', `audit wall clock: read ${ms}, not a time (ms)`);
  }
  return ms;
}

/** An entry's fields as stored, and its payload as stored (canonical JSON). */
type CheckedEntry = {
  readonly fields: Omit<AuditFields, 'seq' | 'ts' | 'wallTs' | 'hashVersion'>;
  readonly payloadJson: string;
};

const invalid = (field: string, rule: string) =>
  new KairosError('AUDIT_ENTRY_INVALID', `audit entry ${field}: ${rule}`);

/**
 * `checkEntry` for `prepareConditional`, whose records stay inside it: a clean payload is not
 * parsed back (its record's `payload` is left null; what is stored and hashed is `payloadJson`).
 */
const checkedForStatement = (e: AuditEntry): CheckedEntry => checkEntry(e, false);

function checkEntry(e: AuditEntry, parsed = true): CheckedEntry {
  if (!Number.isSafeInteger(e.ts) || e.ts < 0)
    throw invalid('ts', 'must be a non-negative integer (ms)');
  // The CSV export writes every time as an ISO date too: a later one could never be exported.
  if (e.ts > MAX_TIME_MS) throw invalid('ts', `must be at most ${MAX_TIME_MS} (ms)`);
  for (const k of ['actor', 'role', 'action'] as const) {
    if (typeof e[k] !== 'string' || e[k].trim() === '')
      throw invalid(k, 'must be a non-empty string');
  }
  if (typeof e.subject !== 'string') throw invalid('subject', 'must be a string');
  // Round-trips through canonical JSON (so the stored row equals what was hashed), with every
  // string as Postgres keeps it: a NUL or lone surrogate becomes U+FFFD before hashing.
  // At depth 1: the payload's place in the row, whose line must stay within MAX_JSON_DEPTH.
  const text = canonicalJson(e.payload ?? {}, 'payload', 1);
  const clean = !mayHoldUnstorable(text);
  const payload = clean
    ? parsed
      ? (JSON.parse(text) as JsonValue)
      : null
    : storableJson(JSON.parse(text) as JsonValue);
  const fields = {
    actor: storableText(e.actor),
    role: storableText(e.role),
    action: storableText(e.action),
    subject: storableText(e.subject),
    payload,
  };
  // Canonical JSON of a parsed canonical text is that text.
  const payloadJson = clean ? text : canonicalJson(payload);
  const bytes = [fields.actor, fields.role, fields.action, fields.subject].reduce(
    (n, t) => n + Buffer.byteLength(JSON.stringify(t)),
    Buffer.byteLength(payloadJson),
  );
  if (bytes > MAX_ROW_BYTES) {
    throw invalid(
      'payload',
      `the row's text and payload take ${bytes} bytes, more than ${MAX_ROW_BYTES} (an export line the verifier reads)`,
    );
  }
  return { fields, payloadJson };
}
