import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '../../../src/monitoring/logger.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { until } from '../../support/until.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  return { logger, lines };
}

describe('the store logs what an operator needs', () => {
  it('says which migrations it applied when it opens (at info), and only at debug when none', async () => {
    const schema = `log_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const first = capture();
    const a = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, logger: first.logger });
    await a.close();
    const again = capture();
    const b = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, logger: again.logger });
    await b.close();
    const line = (lines: Record<string, unknown>[], message: string) =>
      lines.find((l) => l.message === message);
    expect(line(first.lines, 'migrations applied')).toMatchObject({
      level: 'info',
      component: 'store',
      dialect: 'postgres',
      schema,
    });
    expect(
      (line(first.lines, 'migrations applied')!.migrations as string[]).length,
    ).toBeGreaterThan(5);
    // Opening again applies none: no info line, only the debug one.
    expect(line(again.lines, 'migrations applied')).toBeUndefined();
    expect(line(again.lines, 'store open')).toMatchObject({ level: 'debug', dialect: 'postgres' });
    // Never the connection string.
    expect(JSON.stringify([...first.lines, ...again.lines])).not.toContain('127.0.0.1');
  });

  it('a connection the database drops is a warning and the next query reconnects (no crash)', async () => {
    await dropConnection(async (db, terminate) => {
      const rows = await db
        .selectNoFrom((eb) => eb.fn<number>('pg_backend_pid', []).as('pid'))
        .execute();
      await terminate(
        rows[0]!.pid,
        'database dropped an idle connection; the next query reconnects',
      );
    });
  });

  // Found by the failover test (issue 16): an instance paused (SIGSTOP) in the middle of a
  // transaction had that session ended by the server (idle in transaction); on SIGCONT the
  // connection's 'error' event, heard by nobody while the connection was in use, crashed it.
  it('a connection ended in the middle of a transaction fails that transaction, not the process', async () => {
    await dropConnection(async (db, terminate) => {
      const tx = db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectNoFrom((eb) => eb.fn<number>('pg_backend_pid', []).as('pid'))
          .execute();
        // Ended between two queries of the transaction, as the idle-in-transaction timeout does.
        await terminate(rows[0]!.pid, 'database ended a connection in use; its transaction fails');
        await trx.selectNoFrom((eb) => eb.val(1).as('one')).execute();
      });
      await expect(tx).rejects.toThrow();
    });
  });
});

/**
 * Runs `fn` on a new store whose connection `terminate` ends from another session (as a
 * restart, a failover or the idle-in-transaction timeout do), waiting for the store's warning;
 * then checks the warning's fields and that the store answers again.
 */
async function dropConnection(
  fn: (
    db: Store['db'],
    terminate: (pid: number, warning: string) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const { logger, lines } = capture();
  const schema = `log_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, logger });
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await fn(store.db, async (pid, warning) => {
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await until(() => lines.some((l) => l.message === warning), 10_000, warning);
    });
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({
      component: 'store',
      code: '57P01',
    });
    const again = await store.db.selectNoFrom((eb) => eb.val('back').as('state')).execute();
    expect(again).toEqual([{ state: 'back' }]);
  } finally {
    await admin.end();
    await store.close();
  }
}
