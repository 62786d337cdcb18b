import path from 'node:path';
import { openStore, type Store } from '../store/open-store.js';
import type { Config } from './config.js';

/** Opens the store the configuration names: Postgres (`DATABASE_URL`) or PGlite under `home/db`. */
export function openConfiguredStore(config: Config): Promise<Store> {
  return openStore({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(config.home, 'db'),
    ...(config.databaseUrl && config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
}
