import { spawn, type ChildProcess } from 'node:child_process';
import { KAIROS_ARGV, ROOT } from './run-cli.js';
import { until } from './until.js';

/** A running `kairos venue simulate` process. */
export interface VenueProcess {
  readonly child: ChildProcess;
  /** REST/WebSocket base, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  readonly exited: Promise<number | null>;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

/**
 * `kairos venue simulate` as a process with `args` (give `--port 0` for a free one, or the port
 * of a previous run to restart it there); answers once it prints its URLs.
 */
export async function spawnVenue(args: readonly string[]): Promise<VenueProcess> {
  const child = spawn(process.execPath, [...KAIROS_ARGV, 'venue', 'simulate', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const rest = await until(
    () => {
      if (gone) throw new Error(`venue simulate exited: ${out}`);
      return /Ctrl\+C/.test(out) && /REST:\s+(\S+)\/api\/v[35]/.exec(out)?.[1];
    },
    60_000,
    'venue simulate listening',
  );
  return { child, url: rest, port: Number(new URL(rest).port), exited, output: () => out };
}

/** Kills a venue process with SIGKILL (no chance to write anything) and waits for its end. */
export async function killVenue(v: VenueProcess): Promise<void> {
  v.child.kill('SIGKILL');
  await v.exited;
}
