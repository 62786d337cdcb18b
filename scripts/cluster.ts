// `npm run cluster`: N `kairos serve` instances on one machine, sharing one Postgres schema, one
// Redis and one KAIROS_HOME, behind nginx on one port (docs/scalability.md, "Run 3 instances
// behind nginx on one machine"). Ctrl-C or SIGTERM stops nginx and every instance.
import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What `startCluster` starts. */
export interface ClusterOptions {
  /** How many `kairos serve` processes (default 3). */
  readonly instances?: number;
  /** nginx's port on 127.0.0.1 (0: a free one). */
  readonly port: number;
  /** The KAIROS_HOME every instance shares: the master key and the JWT signing key are in it. */
  readonly home: string;
  /** `DATABASE_URL`: the Postgres every instance uses (several instances need Postgres). */
  readonly databaseUrl: string;
  /** `DATABASE_SCHEMA` (absent: the default schema). */
  readonly schema?: string;
  /** `REDIS_URL`: shared sessions, login challenges and rate limits. */
  readonly redisUrl: string;
  /** Arguments after `kairos serve` (`--data … --symbol …`); `--port`/`--host` are set here. */
  readonly serveArgs: readonly string[];
  /** More environment for the instances. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The schema is migrated and the keys are in `home` already (a `kairos user create` ran): every
   * instance starts at once. Otherwise the first starts alone, then the others.
   */
  readonly prepared?: boolean;
  /** nginx worker processes (default 1: the machine is shared with the instances). */
  readonly nginxWorkers?: number;
  /** Where progress lines go (default: stdout). */
  readonly print?: (line: string) => void;
}

/** One running `kairos serve`. */
export interface ClusterInstance {
  /** 1-based, in the order they started. */
  readonly index: number;
  /** Its id: the `x-kairos-instance` header of its answers. */
  readonly id: string;
  readonly pid: number;
  /** Its own address (nginx's upstream). */
  readonly url: string;
  /** Its log (JSON lines, stderr). */
  readonly logFile: string;
  readonly child: ChildProcess;
}

/** A running cluster. */
export interface Cluster {
  /** nginx's address: the one the clients use. */
  readonly url: string;
  /** The instances now (an entry is replaced when `restart` starts it again). */
  readonly instances: readonly ClusterInstance[];
  /**
   * Starts instance `index` (1-based) again on its own port, once its process has exited (stop
   * it first: SIGTERM, SIGKILL); nginx's upstream is unchanged. Answers the new instance.
   */
  restart(index: number): Promise<ClusterInstance>;
  readonly nginx: { readonly pid: number; readonly configFile: string };
  /** The temporary folder of the nginx config, its temp files and the instances' logs. */
  readonly dir: string;
  /** Stops nginx and every instance (SIGTERM, then SIGKILL after 15 s), removes `dir`. */
  stop(): Promise<void>;
}

/** The nginx binary on this machine, or null. */
export function nginxBinary(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // Not this one.
    }
  }
  return null;
}

/**
 * The nginx binary, installed from Debian's packages when missing (`nginx-light`, else `nginx`;
 * as root only); otherwise an error that says how to install it. Nothing is started or enabled.
 */
export function ensureNginx(): string {
  const found = nginxBinary();
  if (found) return found;
  const fix = 'nginx is not installed: install it with "apt-get install -y nginx-light" (or nginx)';
  if (process.getuid?.() !== 0) throw new Error(`${fix}, as root`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const pkg of ['nginx-light', 'nginx']) {
    try {
      execSync(`apt-get install -y ${pkg} || (apt-get update && apt-get install -y ${pkg})`, {
        stdio: 'ignore',
        env,
      });
      const installed = nginxBinary();
      if (installed) return installed;
    } catch {
      // The next package, then the error.
    }
  }
  throw new Error(`${fix} (apt-get install failed)`);
}

/**
 * The nginx configuration: round-robin over `upstreams`, WebSocket upgrades passed through with
 * hour-long timeouts, and passive health (nginx OSS has no active checks: an instance that
 * refuses or times out is skipped for `fail_timeout`, and the request goes to the next one).
 * `GET /lb/ping` is answered by nginx itself (the balancer's liveness, the benchmark's ceiling).
 * Everything nginx writes goes under `dir`.
 */
export function nginxConfig(opts: {
  readonly port: number;
  readonly upstreams: readonly string[];
  readonly dir: string;
  readonly workers?: number;
}): string {
  const servers = opts.upstreams
    .map((u) => `    server ${new URL(u).host} max_fails=1 fail_timeout=5s;`)
    .join('\n');
  const at = (name: string) => path.join(opts.dir, name);
  return `# Generated by scripts/cluster.ts; not a system config.
worker_processes ${opts.workers ?? 1};
error_log stderr warn;
pid ${at('nginx.pid')};
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${at('client_body')};
  proxy_temp_path ${at('proxy')};
  fastcgi_temp_path ${at('fastcgi')};
  uwsgi_temp_path ${at('uwsgi')};
  scgi_temp_path ${at('scgi')};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream kairos {
    # Shared by the workers: the round robin and which instance failed.
    zone kairos 64k;
${servers}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${opts.port};
    client_max_body_size 64k;
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    # nginx is the edge: the client's address, never a chain the client could have written.
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_connect_timeout 2s;
    # A refused or timed-out connection goes to the next instance (also for a POST: it never
    # reached the first); an answer, even a 5xx, is the client's.
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries ${opts.upstreams.length};
    location = /lb/ping { return 200 "nginx\\n"; }
    location = /ws {
      proxy_pass http://kairos;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
    }
    location / {
      proxy_pass http://kairos;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves with the child's exit, or kills it after `ms`. */
function stopChild(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Waits for `kairos serve`'s listening line; rejects when it exits first or after `ms`. */
function listeningLine(child: ChildProcess, what: string, ms = 120_000) {
  return new Promise<{ url: string; id: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what}: not listening after ${ms} ms`)), ms);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before listening: ${out.trim()}`));
    };
    child.once('exit', onExit);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /kairos listening on (\S+) \([^;]*; instance (\w+);/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({ url: m[1]!, id: m[2]! });
      }
    });
  });
}

/**
 * Starts `instances` `kairos serve` processes on one Postgres schema, one Redis and one
 * KAIROS_HOME (the first alone, so it migrates the schema and makes the keys the others then
 * read, unless `prepared`), each on a free port, then nginx on `port` in front of them as a child process with a
 * generated config in a temporary folder.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const n = opts.instances ?? 3;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--instances: ${n} is not a positive integer`);
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const nginxBin = ensureNginx();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-cluster-'));
  // nginx's workers (nobody, when started as root) create their temp files in here.
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(dir, { recursive: true, force: true });
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...opts.env,
    KAIROS_HOME: opts.home,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    // nginx on loopback: the client is the address it forwards (per-client rate limits).
    TRUST_PROXY: '127.0.0.1',
  };
  if (opts.schema === undefined) delete env.DATABASE_SCHEMA;
  else env.DATABASE_SCHEMA = opts.schema;
  // Each instance listens on a port of its own; METRICS_PORT would collide.
  delete env.METRICS_PORT;
  delete env.PORT;
  const startInstance = async (index: number, port = 0): Promise<ClusterInstance> => {
    const logFile = path.join(dir, `instance-${index}.log`);
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/kairos.js'),
        'serve',
        ...opts.serveArgs,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    // Appended: an instance started again on the same index keeps the log of the one before.
    child.stderr!.pipe(createWriteStream(logFile, { flags: 'a' }));
    const { url, id } = await listeningLine(child, `instance ${index}`);
    child.once('exit', (code, signal) => {
      if (!stopping)
        print(`cluster: instance ${index} (pid ${child.pid}) exited (${signal ?? code})`);
    });
    print(`cluster: instance ${index} pid ${child.pid} id ${id} at ${url} (log ${logFile})`);
    return { index, id, pid: child.pid!, url, logFile, child };
  };
  try {
    const first = opts.prepared ? null : await startInstance(1);
    const rest = await Promise.all(
      Array.from({ length: first ? n - 1 : n }, (_, i) => startInstance(i + (first ? 2 : 1))),
    );
    const instances = first ? [first, ...rest] : rest;
    const restart = async (index: number) => {
      const old = instances[index - 1];
      if (!old) throw new Error(`restart: no instance ${index}`);
      if (old.child.exitCode === null && old.child.signalCode === null)
        await new Promise((r) => old.child.once('exit', r));
      const again = await startInstance(index, Number(new URL(old.url).port));
      instances[index - 1] = again;
      return again;
    };
    const port = opts.port === 0 ? await freePort() : opts.port;
    const configFile = path.join(dir, 'nginx.conf');
    writeFileSync(
      configFile,
      nginxConfig({
        port,
        upstreams: instances.map((i) => i.url),
        dir,
        ...(opts.nginxWorkers === undefined ? {} : { workers: opts.nginxWorkers }),
      }),
    );
    const nginx = spawn(nginxBin, ['-p', dir, '-c', configFile, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(nginx);
    let nginxErr = '';
    nginx.stderr!.on('data', (b: Buffer) => {
      nginxErr += b.toString();
      if (!stopping) print(`nginx: ${b.toString().trimEnd()}`);
    });
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (nginx.exitCode !== null || Date.now() > deadline)
        throw new Error(`nginx did not start on 127.0.0.1:${port}: ${nginxErr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = `http://127.0.0.1:${port}`;
    print(`cluster: nginx pid ${nginx.pid} at ${url} (config ${configFile})`);
    return { url, instances, restart, nginx: { pid: nginx.pid!, configFile }, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function main(): Promise<void> {
  const program = new Command('cluster')
    .description(
      'N `kairos serve` instances on one Postgres schema and one Redis, behind nginx on one port',
    )
    .option('--instances <n>', 'how many instances', '3')
    .option('--port <port>', "nginx's port on 127.0.0.1 (0: a free one)", '8080')
    .option('--home <dir>', 'the KAIROS_HOME they share (default: KAIROS_HOME, else ./var)')
    .option('--database-url <url>', 'Postgres (default: DATABASE_URL)')
    .option('--schema <name>', 'the Postgres schema (default: DATABASE_SCHEMA)')
    .option('--redis-url <url>', 'Redis (default: REDIS_URL)')
    .argument('[serve...]', 'after --: the arguments of `kairos serve` (--data, --symbol, …)')
    .addHelpText(
      'after',
      '\nExample:\n  npm run cluster -- --instances 3 --port 8080 -- --data prices.json --symbol BTC/USDT',
    )
    .parse();
  const o = program.opts<{
    instances: string;
    port: string;
    home?: string;
    databaseUrl?: string;
    schema?: string;
    redisUrl?: string;
  }>();
  const databaseUrl = o.databaseUrl ?? process.env.DATABASE_URL;
  const redisUrl = o.redisUrl ?? process.env.REDIS_URL;
  if (!databaseUrl)
    throw new Error('--database-url (or DATABASE_URL): several instances need Postgres');
  if (!redisUrl)
    throw new Error('--redis-url (or REDIS_URL): several instances share sessions through Redis');
  const schema = o.schema ?? process.env.DATABASE_SCHEMA;
  const cluster = await startCluster({
    instances: Number(o.instances),
    port: Number(o.port),
    home: path.resolve(o.home ?? process.env.KAIROS_HOME ?? 'var'),
    databaseUrl,
    redisUrl,
    ...(schema ? { schema } : {}),
    serveArgs: program.args,
  });
  process.stdout.write(`cluster ready at ${cluster.url} (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.stdout.write('cluster: stopping\n');
  await cluster.stop();
  process.stdout.write('cluster: stopped\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`cluster: ${(e as Error).message}\n`);
    process.exit(2);
  });
}
