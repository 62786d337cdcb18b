import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { KairosError } from '../trading/core/errors.js';
import { isLeaseLost, type Lease, type LeasePort } from '../scalability/leases/lease-port.js';
import { isConnectionFailure, storeUnavailable } from './connection-failure.js';
import type { Schema } from './schema.js';

export type { Lease } from '../scalability/leases/lease-port.js';

/**
 * Checks, inside a write's transaction, that the writer still holds its lease (or throws).
 * `inStatement`, when present, is the same check for use inside one statement.
 */
export type Fence = ((tx: Transaction<Schema>) => Promise<void>) & {
  readonly inStatement?: {
    /**
     * A query that yields a row (and holds the lease row `for key share`, as the check does)
     * only while the lease is current: a one-statement write makes every change conditional on it.
     */
    readonly rows: RawBuilder<unknown>;
    /** The error a write that `rows` refused throws (the one the check throws). */
    readonly lost: () => KairosError;
  };
};

// Every instance reads time from the one database, so their clocks never need to agree.
const DB_NOW = sql<string>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

type Row = {
  resource: string;
  owner: string;
  token: string | number | bigint;
  expires_at: string | number | bigint;
};
const lease = (r: Row): Lease => ({
  resource: r.resource,
  owner: r.owner,
  token: Number(r.token),
  expiresAt: Number(r.expires_at),
});

/**
 * Runs `body` in one transaction whose first statement is `fence` (none: a plain transaction).
 * A write that fails because the database did not answer (a connection refused, dropped or
 * ended) is `STORE_UNAVAILABLE` (503 in the API), fenced or not, when its lease is not found lost.
 * A fenced write that fails for another reason (its connection ended: the server's
 * idle-in-transaction timeout ended the session of a process paused mid-write, SIGSTOP past the
 * TTL; a lock or network error) checks the lease again in a new transaction: when it is no
 * longer current, the failure is that loss (`LEASE_LOST`, the first error as its `cause`), which
 * the owner handles as such (the core stops, the new owner recovers from the store), rather
 * than a store failure that stops the server. Either way nothing of it is seen by the new owner
 * unless it committed while the lease was still held (the fence's row lock makes a takeover
 * wait for a write in flight).
 *
 * @example
 * await fencedTransaction(db, fence, (tx) => tx.insertInto('orders').values(row).execute());
 */
export async function fencedTransaction<T>(
  db: Kysely<Schema>,
  fence: Fence | undefined,
  body: (tx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction().execute(async (tx) => {
      await fence?.(tx);
      return body(tx);
    });
  } catch (e) {
    throw await fencedWriteFailure(db, fence, e);
  }
}

/**
 * The error a fenced write that failed with `e` throws, as `fencedTransaction` explains it (a
 * one-statement write explains its failures the same way): `LEASE_LOST` when the lease is no
 * longer current, `STORE_UNAVAILABLE` when the database did not answer, else `e`.
 */
export async function fencedWriteFailure(
  db: Kysely<Schema>,
  fence: Fence | undefined,
  e: unknown,
): Promise<unknown> {
  if (isLeaseLost(e)) return e;
  let lost: unknown = null;
  let away = isConnectionFailure(e);
  if (fence)
    await db
      .transaction()
      .execute((tx) => fence(tx))
      .catch((again: unknown) => {
        if (isLeaseLost(again)) lost = again;
        else away ||= isConnectionFailure(again);
      });
  if (lost) return new KairosError('LEASE_LOST', (lost as Error).message, { cause: e });
  // The database did not answer (the lease may well still be held): nothing was written, and
  // the order is refused as the store being away, never as an internal error.
  if (away) return storeUnavailable(e);
  return e;
}

/**
 * Leases with fencing tokens in the store (`docs/decisions/leases.md`): the lease and the writes
 * it guards live in one database, so a write checks its token in its own transaction and a
 * takeover waits for a write in flight (the check holds the lease row `for key share`, which a
 * takeover's `for update` waits for and a renewal's `update` of `expires_at` does not).
 *
 * @example
 * const leases = new LeaseRepository(store.db, store.leaseDb);
 * const held = await leases.acquire('account:a1', instanceId, 10_000);
 * if (held) orders = new OrderRepository(store.db, 'a1', Date.now, leases.fence(held));
 */
export class LeaseRepository implements LeasePort {
  constructor(
    private readonly db: Kysely<Schema>,
    /**
     * Where renewals and releases run (`Store.leaseDb`: connections of their own, so a renewal
     * never waits for a connection behind the writes it keeps fenced); default `db`.
     */
    private readonly keepDb: Kysely<Schema> = db,
  ) {}

  /**
   * Takes `resource` for `owner` for `ttlMs` when it is free, expired or released, with the next
   * token; renews it when `owner` holds it already (same token). Null: another owner holds it.
   */
  async acquire(resource: string, owner: string, ttlMs: number): Promise<Lease | null> {
    return this.db.transaction().execute(async (tx) => {
      // A lease this caller may take (its own, expired or released) is locked `for update`
      // first: that waits for the last holder's writes in flight (each holds the row `for key
      // share`), so none of them commits after the new token exists. The upsert alone would
      // not wait (it changes no key column). One held by another is passed over, unlocked.
      await sql`
        select 1 from leases
        where resource = ${resource} and (owner = ${owner} or expires_at <= ${DB_NOW})
        for update`.execute(tx);
      const r = await sql<Row>`
        insert into leases (resource, owner, token, expires_at)
        values (${resource}, ${owner}, 1, ${DB_NOW} + ${ttlMs})
        on conflict (resource) do update set
          token = case when leases.owner = excluded.owner and leases.expires_at > ${DB_NOW}
            then leases.token else leases.token + 1 end,
          owner = excluded.owner,
          expires_at = excluded.expires_at
        where leases.owner = excluded.owner or leases.expires_at <= ${DB_NOW}
        returning resource, owner, token, expires_at`.execute(tx);
      return r.rows[0] ? lease(r.rows[0]) : null;
    });
  }

  /**
   * Extends a lease still held (same token, not expired) by `ttlMs`; null: it was lost. It never
   * waits for the owner's own writes in flight (an `update` of `expires_at` alone does not
   * conflict with their `for key share`): a write held up elsewhere (another session's lock on
   * the audit chain's head, its process paused) must not let the lease run out under it.
   */
  async renew(held: Lease, ttlMs: number): Promise<Lease | null> {
    const r = await sql<Row>`
      update leases set expires_at = ${DB_NOW} + ${ttlMs}
      where resource = ${held.resource} and owner = ${held.owner} and token = ${held.token}
        and expires_at > ${DB_NOW}
      returning resource, owner, token, expires_at`.execute(this.keepDb);
    return r.rows[0] ? lease(r.rows[0]) : null;
  }

  /** Hands a lease back at once (a graceful drain): the next `acquire` by anyone takes it. */
  async release(held: Lease): Promise<void> {
    await sql`
      update leases set expires_at = 0
      where resource = ${held.resource} and owner = ${held.owner} and token = ${held.token}`.execute(
      this.keepDb,
    );
  }

  /** Who holds `resource` now (expired leases included: see `expiresAt`), or null. */
  async holder(resource: string): Promise<Lease | null> {
    const r = await this.db
      .selectFrom('leases')
      .selectAll()
      .where('resource', '=', resource)
      .executeTakeFirst();
    return r ? lease(r) : null;
  }

  /**
   * The check a write of `held`'s owner makes in its transaction: the lease is still this
   * owner's, with this token, unexpired; else `LEASE_LOST` and the transaction rolls back. The
   * row stays locked `for key share` until the write ends: a takeover waits for it, a renewal
   * does not.
   */
  fence(held: Lease): Fence {
    const lost = () =>
      new KairosError(
        'LEASE_LOST',
        `lease ${held.resource}: token ${held.token} of ${held.owner} is no longer current; nothing was written`,
      );
    const rows = sql`
      select token from leases
      where resource = ${held.resource} and owner = ${held.owner} and token = ${held.token}
        and expires_at > ${DB_NOW}
      for key share`;
    const check = async (tx: Transaction<Schema>) => {
      const r = await rows.execute(tx);
      if (r.rows.length === 0) throw lost();
    };
    return Object.assign(check, { inStatement: { rows, lost } });
  }
}
