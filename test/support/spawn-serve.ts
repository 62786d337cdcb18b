import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { DATA, ROOT, KAIROS_ARGV, runCli } from './run-cli.js';
import { until } from './until.js';
import { tempDir } from './temp-dir.js';

/**
 * `kairos serve` as a process on a fresh embedded install (PGlite under a new `KAIROS_HOME`),
 * replaying `data` (default the small freqtrade file; a path or an s3:// URL), on a free port, with `env` on top of the test's
 * environment. Answers the child, its exit, its stdout so far, and the API's URL once listening.
 */
export function spawnServe(
  env: Record<string, string>,
  data = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'),
  /** An install made before (users created in it); default: a new one. */
  home = path.join(tempDir('kairos-serve-'), 'home'),
  /** More flags, e.g. `--venue binance --exchange-url …`. */
  args: readonly string[] = [],
) {
  const full: NodeJS.ProcessEnv = { ...process.env, KAIROS_HOME: home };
  delete full.DATABASE_URL;
  delete full.METRICS_PORT;
  Object.assign(full, env);
  const child = spawn(
    process.execPath,
    [...KAIROS_ARGV, 'serve', '--data', data, '--symbol', 'BTC/USDT', '--port', '0', ...args],
    { cwd: ROOT, env: full, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  // Its log goes to stderr: drained, or a long run fills the pipe and the process cannot exit.
  // `KAIROS_TEST_SERVE_LOG=dir` keeps it there (`serve-<pid>.log`), to see what a slow test waits on.
  const keep = process.env.KAIROS_TEST_SERVE_LOG;
  if (keep) child.stderr.pipe(createWriteStream(path.join(keep, `serve-${child.pid}.log`)));
  else child.stderr.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const api = () => until(() => /kairos listening on (\S+) /.exec(out)?.[1], 60_000, 'listening');
  return { child, exited, api, out: () => out };
}

/**
 * Creates the trader `tom` with `password` in the install at `home` (`env`: its store, e.g.
 * `DATABASE_URL`) as a process, as an admin would; answers their TOTP secret.
 */
export function createTrader(home: string, password: string, env: Record<string, string> = {}) {
  const made = runCli(['user', 'create', 'tom', '--role', 'trader'], {
    ...env,
    KAIROS_HOME: home,
    KAIROS_USER_PASSWORD: password,
  });
  if (made.code !== 0) throw new Error(`kairos user create: ${made.code} ${made.stderr}`);
  return /secret: (\S+)/.exec(made.stdout)![1]!;
}
