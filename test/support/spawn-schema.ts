import { openStore, type Store } from '../../src/store/open-store.js';
import { dropTestSchema, TEST_DATABASE_URL } from './postgres.js';
import { migratedSchema } from './stores.js';

/**
 * A Postgres schema of the test database for the `kairos` processes of a `describe` (and the
 * test's own reads of their store): made from the global setup's migrated script in `beforeAll`,
 * dropped in `afterAll`. For the e2e files whose subject is not the embedded store: a process on
 * PGlite starts its WebAssembly database (~0.6 s of CPU) and runs every commit through it
 * (`docs/testing.md`, "Test suite time"). `env` goes into the processes' environment.
 *
 * @example
 * const db = processSchema('metrics_cli');
 * runCli(['user', 'list'], { KAIROS_HOME: home, ...db.env });
 */
export function processSchema(name: string): {
  readonly schema: string;
  readonly env: { readonly DATABASE_URL: string; readonly DATABASE_SCHEMA: string };
  /** Opens the processes' store in the test. */
  open(): Promise<Store>;
} {
  const schema = `${name}_${process.pid}_${Date.now() % 100_000}`;
  beforeAll(() => migratedSchema(schema));
  afterAll(() => dropTestSchema(schema));
  return {
    schema,
    env: { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema },
    open: () => openStore({ databaseUrl: TEST_DATABASE_URL, schema }),
  };
}
