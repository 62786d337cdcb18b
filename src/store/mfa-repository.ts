import type { Kysely } from 'kysely';
import {
  checkAttempts,
  type AttemptDecision,
  type AttemptPolicy,
} from '../security/totp/attempt-limiter.js';
import type { MfaStore } from '../security/totp/mfa-ports.js';
import type { Schema } from './schema.js';

/**
 * `MfaStore` in `totp_steps`, `mfa_failures` and `recovery_codes`. Behaves exactly like
 * `MemoryMfaStore`; each write the port calls atomic is one conditional statement, so requests
 * racing on one step or one recovery code cannot both win. Pass a transaction as `db` to make
 * the writes part of a larger change (a user created with their codes).
 *
 * @example
 * const mfa = new MfaVerifier({ totp, store: new MfaRepository(store.db), now });
 */
export class MfaRepository implements MfaStore {
  constructor(private readonly db: Kysely<Schema>) {}

  async lastUsedStep(userId: string): Promise<number | null> {
    const r = await this.db
      .selectFrom('totp_steps')
      .select('last_step')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r ? Number(r.last_step) : null;
  }

  async setLastUsedStep(userId: string, step: number): Promise<boolean> {
    // Insert-or-raise in one statement: a racing request waits on the row, then re-checks `<`.
    const r = await this.db
      .insertInto('totp_steps')
      .values({ user_id: userId, last_step: step })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet((eb) => ({ last_step: eb.ref('excluded.last_step') }))
          .where('totp_steps.last_step', '<', (eb) => eb.ref('excluded.last_step')),
      )
      .returning('user_id')
      .executeTakeFirst();
    return r !== undefined;
  }

  async failuresSince(userId: string, sinceMs: number): Promise<readonly number[]> {
    await this.db
      .deleteFrom('mfa_failures')
      .where('user_id', '=', userId)
      .where('at', '<=', sinceMs)
      .execute();
    const rows = await this.db
      .selectFrom('mfa_failures')
      .select('at')
      .where('user_id', '=', userId)
      .where('at', '>', sinceMs)
      .orderBy('at')
      .execute();
    return rows.map((r) => Number(r.at));
  }

  async reserveAttempt(
    userId: string,
    atMs: number,
    policy: AttemptPolicy,
  ): Promise<AttemptDecision> {
    const since = atMs - policy.windowMs;
    const recent = async (db: Kysely<Schema>) =>
      (
        await db
          .selectFrom('mfa_failures')
          .select('at')
          .where('user_id', '=', userId)
          .where('at', '>', since)
          .execute()
      ).map((r) => Number(r.at));
    // Fast refusal without a lock (a locked-out account under a storm of guesses): a count
    // already at the limit can only grow until a success clears it.
    const seen = checkAttempts(await recent(this.db), atMs, policy);
    if (!seen.allowed) return seen;
    const run = async (tx: Kysely<Schema>): Promise<AttemptDecision> => {
      // The user's row is the lock: racing attempts (any connection, any instance) queue here,
      // so each counts the attempts reserved before it.
      await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
      await tx
        .deleteFrom('mfa_failures')
        .where('user_id', '=', userId)
        .where('at', '<=', since)
        .execute();
      const decision = checkAttempts(await recent(tx), atMs, policy);
      if (decision.allowed) {
        await tx.insertInto('mfa_failures').values({ user_id: userId, at: atMs }).execute();
      }
      return decision;
    };
    return this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run);
  }

  async recordFailure(userId: string, atMs: number): Promise<void> {
    await this.db.insertInto('mfa_failures').values({ user_id: userId, at: atMs }).execute();
  }

  async clearFailures(userId: string): Promise<void> {
    await this.db.deleteFrom('mfa_failures').where('user_id', '=', userId).execute();
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    const run = async (tx: Kysely<Schema>) => {
      await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      const unique = [...new Set(hashes)];
      if (unique.length > 0) {
        await tx
          .insertInto('recovery_codes')
          .values(unique.map((hash) => ({ user_id: userId, hash, used_at: null })))
          .execute();
      }
    };
    await (this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run));
  }

  async consumeRecoveryCode(userId: string, hash: string, atMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: atMs })
      .where('user_id', '=', userId)
      .where('hash', '=', hash)
      .where('used_at', 'is', null)
      .returning('hash')
      .executeTakeFirst();
    return r !== undefined;
  }

  async remainingRecoveryCodes(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
