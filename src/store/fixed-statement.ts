import { CompiledQuery, sql, type QueryResult, type RawBuilder } from 'kysely';
import { InvariantError } from '../trading/core/errors.js';

/**
 * A named value of a statement: `$n` in a `FixedStatement`'s text (its value given with each
 * call), or the value itself as a parameter (`boundSlots`).
 */
export type Slot<N extends string> = (name: N) => RawBuilder<unknown>;

/** Slots that are the values themselves: the same parts built as an ordinary statement. */
export const boundSlots =
  <N extends string>(values: Readonly<Record<N, unknown>>): Slot<N> =>
  (name) =>
    sql`${values[name]}`;

/** Where a statement runs: a store's handle or a transaction. */
interface Runner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

// A slot's mark in the text before it is numbered: nothing in a statement of ours is written so.
const MARK = /\$slot(\d+)\$/g;

/**
 * A statement whose text kysely builds and compiles once; each call gives only its values. The
 * order journal's commit is one large statement of a few shapes whose values all travel as
 * parameters (rows as JSON and array texts): building and compiling its tree again on every
 * batch cost more than the values themselves. The values of `build` that are not slots (a lease
 * fence's resource and token) are bound once, with the text.
 *
 * @example
 * const byId = new FixedStatement(db, (p) => sql`select * from orders where client_order_id = ${p('id')}`);
 * const { rows } = await byId.execute(db, { id: 'c-1' });
 */
export class FixedStatement<N extends string> {
  /** The statement's text, the bound values as `$1…$k`, then the slots. */
  readonly text: string;
  readonly #bound: readonly unknown[];
  readonly #names: readonly N[];

  constructor(
    db: Parameters<RawBuilder<unknown>['compile']>[0],
    build: (p: Slot<N>) => RawBuilder<unknown>,
  ) {
    const names: N[] = [];
    const compiled = build((name) => {
      let i = names.indexOf(name);
      if (i < 0) i = names.push(name) - 1;
      return sql.raw(`$slot${i}$`);
    }).compile(db);
    const k = compiled.parameters.length;
    this.text = compiled.sql.replace(MARK, (_, i: string) => `$${k + Number(i) + 1}`);
    this.#bound = compiled.parameters;
    this.#names = names;
  }

  /** Runs the statement on `db` (the store or a transaction) with `values` for its slots. */
  execute<R>(db: Runner, values: Readonly<Record<N, unknown>>): Promise<QueryResult<R>> {
    const parameters = [...this.#bound];
    for (const name of this.#names) {
      const v = values[name];
      // A slot left out would be sent as null: our own bug, never a value.
      if (v === undefined)
        throw new InvariantError('STATEMENT_VALUE_MISSING', `no value for statement slot ${name}`);
      parameters.push(v);
    }
    return db.executeQuery(CompiledQuery.raw(this.text, parameters) as CompiledQuery<R>);
  }
}
