import path from 'node:path';
import type { Store } from '../store/open-store.js';
import type { Logger } from '../trading/core/logger.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { Config } from './config.js';

/** Opens the store the configuration names: Postgres (`DATABASE_URL`) or PGlite under `home/db`. */
export async function openConfiguredStore(
  config: Config,
  metrics?: Metrics,
  logger?: Logger,
): Promise<Store> {
  // Loaded when a store is opened, not when a CLI command merely starts (pg, PGlite, kysely).
  const { openStore } = await import('../store/open-store.js');
  return openStore({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(config.home, 'db'),
    ...(config.databaseUrl && config.databaseSchema ? { schema: config.databaseSchema } : {}),
    idleInTransactionMs: config.databaseIdleInTransactionMs,
    ...(config.pgliteTemplate ? { template: config.pgliteTemplate } : {}),
    ...(metrics ? { metrics } : {}),
    ...(logger ? { logger } : {}),
  });
}
