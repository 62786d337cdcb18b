// A server for the order-entry rows, in a process of its own (bench/served.ts starts it): the
// load generator then runs on another event loop, as a trader's client does. Kinds: `postgres`
// (the server as served, on a database of its own), `pglite`, `http-stub` (the HTTP stack alone).
// It sends `{ url, token }` over IPC when it listens and closes on the message `stop`.
import { startHttpStub } from './ceilings.js';

const kind = process.argv[2];
let stop: () => Promise<void>;
if (kind === 'http-stub') {
  const stub = await startHttpStub();
  stop = stub.close;
  process.send!({ url: stub.url });
} else if (kind === 'postgres' || kind === 'pglite') {
  const { startTestServer } = await import('../test/support/api-server.js');
  const { createBenchDatabase } = await import('./bench-database.js');
  const db = kind === 'postgres' ? await createBenchDatabase() : undefined;
  // Logging as `kairos serve` does by default (JSON lines at info), no answer kept in memory.
  const t = await startTestServer({
    rateLimitPerMinute: 1e9,
    asServed: true,
    ...(db ? { env: { DATABASE_URL: db.url } } : {}),
  });
  stop = async () => {
    await t.server.close();
    await db?.drop();
  };
  process.send!({ url: t.server.url, token: t.token });
} else {
  throw new Error(`serve-child: unknown kind ${kind}`);
}
process.on('message', (m) => {
  if (m === 'stop') void stop().then(() => process.exit(0));
});
