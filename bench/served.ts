// Starts bench/serve-child.ts and reads CPU time from /proc: the server's own, and every
// `postgres` process's on this machine (the backends, the WAL writer, the checkpointer), so a
// row can say where its CPU went: the server, the database, the load generator.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ServedKind = 'postgres' | 'pglite' | 'http-stub';

export interface Served {
  readonly url: string;
  readonly token?: string;
  /** The server process's CPU (user + system, every thread) so far, ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

// Clock ticks (USER_HZ, 100 on Linux) to ms.
const TICK_MS = 10;

/** utime + stime of /proc/<pid>/stat in ms, with the process's name; null once it is gone. */
function procCpu(pid: number | string): { name: string; ms: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return {
      name: stat.slice(stat.indexOf('(') + 1, close),
      ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
    };
  } catch {
    return null;
  }
}

/**
 * A reading of every `postgres` process's CPU; `since(reading)` is the CPU they used after it
 * (a process that exited in between is not counted: the server's pool keeps its connections).
 */
export function postgresCpu(): { since(): number } {
  const read = () => {
    const byPid = new Map<string, number>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const p = procCpu(pid);
      if (p?.name === 'postgres') byPid.set(pid, p.ms);
    }
    return byPid;
  };
  const before = read();
  return {
    since: () => {
      let ms = 0;
      for (const [pid, now] of read()) ms += now - (before.get(pid) ?? 0);
      return ms;
    },
  };
}

/** Forks a server of `kind` (with `nodeOptions`, e.g. `--cpu-prof`); answers once it listens. */
export async function serveInChild(
  kind: ServedKind,
  nodeOptions: readonly string[] = [],
): Promise<Served> {
  const child = fork(fileURLToPath(new URL('./serve-child.ts', import.meta.url)), [kind], {
    execArgv: [...nodeOptions, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = await Promise.race([
    new Promise<{ url: string; token?: string }>((resolve) =>
      child.once('message', resolve as never),
    ),
    exited.then((code) => {
      throw new Error(`the ${kind} server exited (${code}) before it listened`);
    }),
  ]);
  return {
    ...ready,
    cpuMs: () => procCpu(child.pid!)?.ms ?? Number.NaN,
    stop: async () => {
      child.send('stop');
      await exited;
    },
  };
}
