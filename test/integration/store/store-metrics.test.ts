import { sql } from 'kysely';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('store metrics (%s)', (dialect) => {
  it('times every commit and shows the pool’s connections', async () => {
    const metrics = new MemoryMetrics();
    const store = await freshStore(dialect, metrics);
    try {
      const before = metrics.histogramValue('kairos_db_commit_duration_seconds')?.count ?? 0;
      await Promise.all(
        [1, 2, 3].map((n) =>
          store.db.transaction().execute(async (tx) => {
            await sql`select ${n}::int as n`.execute(tx);
          }),
        ),
      );
      // A plain query commits nothing.
      await sql`select 1`.execute(store.db);
      const after = metrics.histogramValue('kairos_db_commit_duration_seconds')!;
      expect(after.count).toBe(before + 3);
      expect(after.sum).toBeGreaterThan(0);
      const pool = (state: string) => metrics.value('kairos_db_pool_connections', { state });
      expect(pool('total')).toBeGreaterThanOrEqual(1);
      expect(pool('idle')).toBe(pool('total'));
      expect(pool('waiting')).toBe(0);
    } finally {
      await store.drop();
    }
  });
});
