import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * The first line of a statement that is a whole write transaction on its own (sent outside
 * BEGIN/COMMIT, committed by the server when it ends: the order journal's batch). The store's
 * pool times such a statement as a commit (`kairos_db_commit_duration_seconds`) and, on
 * Postgres, runs it as a named prepared statement, so the server parses and plans each of its
 * few shapes once per connection instead of on every batch.
 */
export const COMMITTED_STATEMENT = '/* committed statement */';

/** Whether `text` is marked as a `COMMITTED_STATEMENT`. */
export const isCommittedStatement = (text: unknown): boolean =>
  typeof text === 'string' && text.startsWith(COMMITTED_STATEMENT);

const names = new Map<string, string>();

/** A statement's name, the same for the same text (a handful of shapes: a bounded map). */
function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `kairos_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (names.size < 1_000) names.set(text, name);
  }
  return name;
}

/**
 * node-postgres's `Client` whose `query(text, values)` runs a marked statement as a named
 * prepared statement (pg parses it once per connection and reuses it); every other call as is.
 *
 * @example
 * new pg.Pool({ Client: preparingClient(pg.Client), connectionString });
 */
export function preparingClient(Base: typeof pg.Client): typeof pg.Client {
  return class extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's overloaded signature
    override query(...args: any[]): any {
      const [text, values] = args as [unknown, unknown];
      if (args.length === 2 && isCommittedStatement(text) && Array.isArray(values))
        return super.query({ name: nameOf(text as string), text: text as string, values });
      return (super.query as (...a: unknown[]) => unknown).apply(this, args);
    }
  } as typeof pg.Client;
}

const deferrable = new WeakSet<object>();

/**
 * Marks a store's root handle as one whose committed statements may defer their flush
 * (`synchronous_commit = off` for that statement's transaction alone): Postgres, whose log is
 * written in order, so a later flushed commit makes the deferred ones durable too. Not PGlite,
 * which runs in the process and would lose them with it.
 */
export function allowDeferredFlush(db: object): void {
  deferrable.add(db);
}

/** Whether `db` is a root handle marked by `allowDeferredFlush`. */
export const canDeferFlush = (db: object): boolean => deferrable.has(db);
