import type { Kysely, Selectable } from 'kysely';
import { KairosError } from '../trading/core/errors.js';
import type { AccountsTable, Schema } from './schema.js';

/** How an account trades: on a simulated exchange with its own cash, or on a venue with a key. */
export type AccountMode = 'paper' | 'live';

/** An account as stored. */
export interface AccountRecord {
  readonly id: string;
  /** The user it belongs to. */
  readonly ownerUserId: string;
  readonly venue: string;
  readonly mode: AccountMode;
  readonly name: string;
  /** The stored credential of a live account (null for paper). */
  readonly credentialId: string | null;
  /** A paper account's starting cash (decimal string) in `currency`; null for live. */
  readonly startingCash: string | null;
  readonly currency: string | null;
  readonly createdAt: number;
  /** When it was closed (`DELETE /accounts/{id}`): it takes no order since. */
  readonly disabledAt: number | null;
}

function toAccount(r: Selectable<AccountsTable>): AccountRecord {
  return {
    id: r.id,
    ownerUserId: r.owner_user_id ?? '',
    venue: r.venue,
    mode: r.mode === 'live' ? 'live' : 'paper',
    name: r.name,
    credentialId: r.credential_id,
    startingCash: r.starting_cash,
    currency: r.cash_currency,
    createdAt: Number(r.created_at),
    disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
  };
}

/**
 * Users' accounts in `accounts` (0010) and each user's default account. Callers pass a
 * transaction to write the audit row with the change. Names are unique per owner among open
 * accounts (`ACCOUNT_NAME_TAKEN`).
 *
 * @example
 * await new AccountRepository(tx).create({ id, ownerUserId, venue: 'PAPER', mode: 'paper', name: 'main', … });
 */
export class AccountRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(a: Omit<AccountRecord, 'disabledAt'>): Promise<AccountRecord> {
    await this.#nameFree(a);
    const row: AccountsTable = {
      id: a.id,
      owner_user_id: a.ownerUserId,
      venue: a.venue,
      mode: a.mode,
      name: a.name,
      credential_id: a.credentialId,
      starting_cash: a.startingCash,
      cash_currency: a.currency,
      created_at: a.createdAt,
      disabled_at: null,
    };
    try {
      await this.db.insertInto('accounts').values(row).execute();
    } catch (e) {
      // Two creations of one name at once: the unique index decides.
      if ((e as { code?: unknown }).code === '23505') throw nameTaken(a.name);
      throw e;
    }
    return toAccount(row);
  }

  async find(id: string): Promise<AccountRecord | null> {
    const r = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .where('owner_user_id', 'is not', null)
      .executeTakeFirst();
    return r ? toAccount(r) : null;
  }

  /** The accounts of one owner (every user's when null), oldest first. */
  async list(ownerUserId: string | null): Promise<AccountRecord[]> {
    let q = this.db.selectFrom('accounts').selectAll().where('owner_user_id', 'is not', null);
    if (ownerUserId !== null) q = q.where('owner_user_id', '=', ownerUserId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(toAccount);
  }

  /** Closes an open account; false when it was already closed (or is unknown). */
  disable(id: string, ts: number): Promise<boolean> {
    return this.#setDisabled(id, ts);
  }

  /**
   * Opens a closed account again; false when it was open (or is unknown). `ACCOUNT_NAME_TAKEN`
   * when its owner opened another of its name since.
   */
  async enable(id: string): Promise<boolean> {
    const a = await this.find(id);
    if (!a || a.disabledAt === null) return false;
    await this.#nameFree(a);
    try {
      return await this.#setDisabled(id, null);
    } catch (e) {
      if ((e as { code?: unknown }).code === '23505') throw nameTaken(a.name);
      throw e;
    }
  }

  /** Sets `disabled_at` (null: open) of an account that is not so yet; false when it was. */
  async #setDisabled(id: string, ts: number | null): Promise<boolean> {
    const r = await this.db
      .updateTable('accounts')
      .set({ disabled_at: ts })
      .where('id', '=', id)
      .where('disabled_at', ts === null ? 'is not' : 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** `ACCOUNT_NAME_TAKEN` when the owner has an open account of that name (any case). */
  async #nameFree(a: { readonly ownerUserId: string; readonly name: string }): Promise<void> {
    const taken = await this.db
      .selectFrom('accounts')
      .select('id')
      .where('owner_user_id', '=', a.ownerUserId)
      .where('disabled_at', 'is', null)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', a.name.toLowerCase()))
      .executeTakeFirst();
    if (taken) throw nameTaken(a.name);
  }

  /** The default account of a user, null when none is set. */
  async defaultOf(userId: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('users')
      .select('default_account_id')
      .where('id', '=', userId)
      .executeTakeFirst();
    return r?.default_account_id ?? null;
  }

  /** Every user's default account (user id → account id), for the server's in-memory view. */
  async defaults(): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'default_account_id'])
      .where('default_account_id', 'is not', null)
      .execute();
    return new Map(rows.map((r) => [r.id, r.default_account_id!]));
  }

  async setDefault(userId: string, accountId: string | null): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ default_account_id: accountId })
      .where('id', '=', userId)
      .execute();
  }
}

function nameTaken(name: string): KairosError {
  return new KairosError(
    'ACCOUNT_NAME_TAKEN',
    `name: you already have an open account named ${JSON.stringify(name)}`,
  );
}
