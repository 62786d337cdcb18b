import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

const COMMANDS = ['UPDATE', 'DELETE', 'INSERT', 'SELECT', 'MERGE'] as const;

function commandOf(text: string): PostgresQueryResult<unknown>['command'] {
  const head = text.trimStart().slice(0, 6).toUpperCase();
  return COMMANDS.find((c) => head.startsWith(c)) ?? 'SELECT';
}

/**
 * Lets kysely's PostgresDialect drive an embedded PGlite. PGlite is one connection, so the pool
 * hands it out to one holder at a time (a transaction keeps it until it releases), in order.
 *
 * @example
 * new Kysely({ dialect: new PostgresDialect({ pool: pglitePool(await PGlite.create()) }) });
 */
export function pglitePool(pg: PGlite): PostgresPool {
  let tail: Promise<void> = Promise.resolve();
  const query = async <R>(
    text: string,
    params: readonly unknown[],
  ): Promise<PostgresQueryResult<R>> => {
    const r = await pg.query<R>(text, params as unknown[]);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length, command: commandOf(text) };
  };
  return {
    connect: async (): Promise<PostgresPoolClient> => {
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const before = tail;
      tail = before.then(() => mine);
      await before;
      return { query, release } as unknown as PostgresPoolClient;
    },
    end: async () => {
      await tail;
      await pg.close();
    },
  };
}
