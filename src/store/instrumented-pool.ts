import { performance } from 'node:perf_hooks';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { METRICS } from '../monitoring/metric-catalogue.js';
import type { Metrics } from '../trading/core/metrics.js';
import { isCommittedStatement } from './committed-statement.js';

/**
 * A pool that reports to the `Metrics` port: the time of every `COMMIT`
 * (`kairos_db_commit_duration_seconds`: kysely ends each transaction with one, so this times
 * every repository's commits, whatever it writes) and of every `COMMITTED_STATEMENT` (a
 * transaction of one statement: the whole of it, its commit included) and its connections by state
 * (`kairos_db_pool_connections`: `total`, `idle`, `waiting`), updated as connections are taken
 * and given back. `size` tells how many connections the pool has open (pg's `totalCount`; 1 for
 * PGlite). Clients keep their identity (kysely remembers its connection per client).
 *
 * @example
 * new PostgresDialect({ pool: instrumentedPool(pool, metrics, () => pool.totalCount) });
 */
export function instrumentedPool(
  pool: PostgresPool,
  metrics: Metrics,
  size: () => number,
): PostgresPool {
  const commit = metrics.histogram(METRICS.dbCommit);
  const connections = metrics.gauge(METRICS.dbPool);
  let held = 0;
  let waiting = 0;
  const show = () => {
    const total = Math.max(size(), held);
    connections.set(total, { state: 'total' });
    connections.set(total - held, { state: 'idle' });
    connections.set(waiting, { state: 'waiting' });
  };
  show();
  const wrapped = new WeakMap<PostgresPoolClient, PostgresPoolClient>();
  const wrap = (client: PostgresPoolClient): PostgresPoolClient => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    return {
      query: ((...args: unknown[]) => {
        if (args[0] !== 'commit' && !isCommittedStatement(args[0])) return query(...args);
        const start = performance.now();
        const done = () => commit.observe((performance.now() - start) / 1000);
        const out = query(...args) as Promise<unknown>;
        return out.then(
          (r) => {
            done();
            return r;
          },
          (e: unknown) => {
            done();
            throw e;
          },
        );
      }) as PostgresPoolClient['query'],
      release: (...args: unknown[]) => {
        held--;
        (client.release as (...a: unknown[]) => void)(...args);
        show();
      },
    };
  };
  return {
    connect: async () => {
      waiting++;
      show();
      let client: PostgresPoolClient;
      try {
        client = await pool.connect();
      } finally {
        waiting--;
      }
      held++;
      show();
      let w = wrapped.get(client);
      if (w === undefined) {
        w = wrap(client);
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}
