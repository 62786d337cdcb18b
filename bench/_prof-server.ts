import { writeFileSync } from 'node:fs';
import { startTestServer } from '../test/support/api-server.js';
import { createBenchDatabase } from './bench-database.js';
const db = await createBenchDatabase();
const t = await startTestServer({ rateLimitPerMinute: 1e9, env: { DATABASE_URL: db.url } });
writeFileSync('/tmp/prof/server.json', JSON.stringify({ url: t.server.url, token: t.token }));
process.on('SIGTERM', async () => {
  await t.server.close();
  await db.drop();
  process.exit(0);
});
