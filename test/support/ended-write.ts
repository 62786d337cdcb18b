import pg from 'pg';
import { TEST_DATABASE_URL } from './postgres.js';
import { until } from './until.js';

/**
 * A fenced journal write the database does not answer: holds `resource`'s lease row in `schema`
 * (`for update`), so the write `send` makes waits on it (the fence's `for key share`); then runs
 * `meanwhile` in the locking transaction (a takeover), ends the waiting session (as a database
 * restart, a failover or an operator does) and commits. Answers what `send` answers.
 *
 * @example
 * const r = await endWaitingFencedWrite(schema, 'account:desk', () => fetch(url, order));
 */
export async function endWaitingFencedWrite<T>(
  schema: string,
  resource: string,
  send: () => Promise<T>,
  meanwhile?: (lock: pg.Client) => Promise<unknown>,
): Promise<T> {
  const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
  const watch = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await lock.connect();
  await watch.connect();
  try {
    await lock.query('begin');
    await lock.query(`select * from ${schema}.leases where resource = $1 for update`, [resource]);
    const answer = send();
    const pid = await until(
      async () => {
        // (Read outside the locking transaction, whose view of the activity is frozen.)
        const r = await watch.query(
          `select pid from pg_stat_activity where wait_event_type = 'Lock' and query like '%from leases%for key share%'`,
        );
        return (r.rows[0]?.pid as number | undefined) ?? false;
      },
      20_000,
      'the fenced write waiting on the lease row',
    );
    await meanwhile?.(lock);
    await lock.query('select pg_terminate_backend($1)', [pid]);
    await lock.query('commit');
    return await answer;
  } finally {
    await lock.end();
    await watch.end();
  }
}
