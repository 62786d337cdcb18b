// The server's own CPU per `POST /orders`: the benchmark's server (as served, Postgres) in a
// child process, autocannon in this one, the child's CPU read from /proc over the requests it
// answered. Run it in two worktrees one after the other, several rounds, to compare them
// (docs/benchmarks.md, "Less CPU a request"). `node --import tsx bench/_server-cpu.ts [seconds]`;
// `--cpu-prof` after `node` profiles this process, SERVER_NODE_OPTIONS='--cpu-prof' the server.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postOrders } from './post-orders.js';

if (process.argv[2] === '--serve') {
  const { startTestServer } = await import('../test/support/api-server.js');
  const { createBenchDatabase } = await import('./bench-database.js');
  const db = await createBenchDatabase();
  const t = await startTestServer({
    rateLimitPerMinute: 1e9,
    asServed: true,
    env: { DATABASE_URL: db.url },
  });
  writeFileSync(process.argv[3]!, JSON.stringify({ url: t.server.url, token: t.token }));
  process.once('SIGTERM', () => {
    void t.server
      .close()
      .then(() => db.drop())
      .then(() => process.exit(0));
  });
} else {
  const seconds = Number(process.argv[2] ?? 10);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-server-cpu-'));
  const ready = path.join(dir, 'server.json');
  const child = spawn(
    process.execPath,
    [
      ...(process.env.SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--serve',
      ready,
    ],
    { stdio: 'inherit' },
  );
  const deadline = Date.now() + 120_000;
  let server: { url: string; token: string } | null = null;
  while (!server && Date.now() < deadline) {
    try {
      server = JSON.parse(readFileSync(ready, 'utf8')) as { url: string; token: string };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!server) throw new Error('the server did not start in 120 s');
  // user + system clock ticks of the child (fields 14 and 15 of /proc/<pid>/stat), in ms.
  const cpuMs = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  await postOrders(server.url, { seconds: 2, token: server.token, keyPrefix: 'warm' });
  const before = cpuMs();
  const r = await postOrders(server.url, { seconds, token: server.token, keyPrefix: 'run' });
  const used = cpuMs() - before;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `server CPU ${(used / r.requests.total).toFixed(3)} ms/request, ${Math.round(r.requests.average)} orders/s, ` +
      `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, load average ${os.loadavg()[0]!.toFixed(2)}\n`,
  );
}
