import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A TCP port nothing listens on now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The installed PostgreSQL's `bin` folder (`initdb`, `pg_ctl`), newest version first. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL under ${root}/*/bin (initdb, pg_ctl)`);
  return path.join(root, versions[0]!, 'bin');
}

/**
 * A PostgreSQL cluster of its own, in a temp folder, on a free port: a test may stop and start
 * it without touching the shared server. Runs as the `postgres` user when the test runs as root
 * (initdb refuses root).
 */
export class PrivatePostgres {
  private constructor(
    private readonly dir: string,
    private readonly bin: string,
    readonly port: number,
    private readonly asUser: readonly string[],
  ) {}

  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Creates the cluster and starts it. */
  static async start(): Promise<PrivatePostgres> {
    const root = process.getuid?.() === 0;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-pg-'));
    const asUser = root ? ['runuser', '-u', 'postgres', '--'] : [];
    if (root) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const pg = new PrivatePostgres(dir, postgresBin(), await freePort(), asUser);
    await pg.#run('initdb', [
      '-D',
      path.join(dir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ]);
    await pg.startAgain();
    return pg;
  }

  async #run(tool: string, args: readonly string[]): Promise<void> {
    const [cmd, ...rest] = [...this.asUser, path.join(this.bin, tool), ...args];
    await run(cmd!, rest, { cwd: this.dir });
  }

  /** Starts the (stopped) cluster and waits until it accepts connections. */
  async startAgain(): Promise<void> {
    await this.#run('pg_ctl', [
      '-D',
      path.join(this.dir, 'data'),
      '-l',
      path.join(this.dir, 'log'),
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off`,
      '-w',
      'start',
    ]);
  }

  /** Stops it at once (`-m immediate`: connections cut, as a crash would). */
  async stop(): Promise<void> {
    await this.#run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops it (if running) and deletes its folder. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis server of its own on a free port (no persistence), for a test that kills it. */
export class PrivateRedis {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port (or on `port`: the same server again after `stop`). */
  static async start(port?: number): Promise<PrivateRedis> {
    const at = port ?? (await freePort());
    const child = spawn(
      'redis-server',
      ['--port', String(at), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
    });
    child.removeAllListeners('exit');
    child.stdout!.resume();
    return new PrivateRedis(child, at);
  }

  /** Kills it and waits until it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
