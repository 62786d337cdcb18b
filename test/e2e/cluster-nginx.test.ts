import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { apiCall } from '../support/api-call.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../support/postgres.js';
import { DATA, ROOT, runCli } from '../support/run-cli.js';
import { until } from '../support/until.js';
import { subscribedSocket } from '../support/ws-client.js';

/** Whether a process with this pid still runs. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm run cluster` as a process: three `kairos serve` on one Postgres schema, one Redis and one
 * KAIROS_HOME, behind nginx (issue 16). A trader logs in through nginx (password on one instance,
 * second factor on another), reads are spread over all three (the `x-kairos-instance` header),
 * a WebSocket through nginx gets frames, a session revoked on one instance is refused by every
 * other at once, and with one instance killed -9 nginx answers from the others (its WebSockets
 * closed, the others' still fed, a reconnect fed by a live instance). Orders under failover:
 * `cluster-failover.test.ts`.
 */
describe('three kairos serve behind nginx (scripts/cluster.ts)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-cluster-e2e-'));
  const home = path.join(dir, 'home');
  const schema = `cluster_e2e_${process.pid}`;
  const password = 'trader passphrase for the cluster';
  const env = {
    KAIROS_HOME: home,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: 'redis://127.0.0.1:6379',
  };
  // One trader per test: a TOTP code is accepted once, and each test logs in afresh.
  const secrets = new Map<string, string>();
  let out = '';
  let script: ReturnType<typeof spawn>;
  let exited: Promise<number | null>;
  let url = '';
  let instances: { index: number; pid: number; id: string; url: string }[] = [];
  let folder = '';

  beforeAll(async () => {
    // The users (and the keys every instance then shares) exist before the cluster starts.
    for (const name of ['tom', 'ann', 'bob']) {
      const made = runCli(['user', 'create', name, '--role', 'trader'], {
        ...env,
        KAIROS_USER_PASSWORD: password,
      });
      expect(made.code).toBe(0);
      secrets.set(name, /secret: (\S+)/.exec(made.stdout)![1]!);
    }
    script = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/cluster.ts',
        '--instances',
        '3',
        '--port',
        '0',
        '--home',
        home,
        '--database-url',
        TEST_DATABASE_URL,
        '--schema',
        schema,
        '--redis-url',
        env.REDIS_URL,
        '--',
        '--data',
        path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'),
        '--symbol',
        'BTC/USDT',
        '--speed',
        '600',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    script.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    script.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    exited = new Promise((r) => script.on('exit', (code) => r(code)));
    url = await until(
      () => {
        // No nginx and no way to install it (or any start failure): the script says why and exits.
        if (script.exitCode !== null) throw new Error(`the cluster did not start: ${out}`);
        return /cluster ready at (\S+)/.exec(out)?.[1];
      },
      150_000,
      'the cluster ready',
    );
    instances = [
      ...out.matchAll(/cluster: instance (\d) pid (\d+) id (\w+) at (\S+) \(log (\S+)\/instance/g),
    ]
      .map((m) => ({ index: Number(m[1]), pid: Number(m[2]), id: m[3]!, url: m[4]! }))
      .sort((a, b) => a.index - b.index);
    folder = /\(log (\S+)\/instance-1\.log\)/.exec(out)![1]!;
  }, 180_000);

  afterAll(async () => {
    if (script.exitCode === null) {
      script.kill('SIGTERM');
      await exited;
    }
    await dropTestSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (username: string) => {
    const first = await apiCall(url, 'POST', '/auth/login', {
      body: { username, password },
    });
    expect(first.status).toBe(200);
    const secret = secrets.get(username)!;
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
    const mfa = await apiCall(url, 'POST', '/auth/mfa', {
      body: { challenge: first.json.challenge, code },
    });
    expect(mfa.status).toBe(200);
    return {
      token: mfa.json.accessToken as string,
      // The challenge was made by one instance and answered by another: shared through Redis.
      answeredBy: [first.headers['x-kairos-instance'], mfa.headers['x-kairos-instance']],
    };
  };
  const instanceOf = async (token: string) => {
    const res = await fetch(`${url}/accounts`, { headers: { authorization: `Bearer ${token}` } });
    await res.text();
    return { status: res.status, instance: res.headers.get('x-kairos-instance') };
  };

  it('logs in through nginx, spreads reads over all three instances, and carries a WebSocket', async () => {
    expect(instances.map((i) => i.index)).toEqual([1, 2, 3]);
    expect(new Set(instances.map((i) => i.id)).size).toBe(3);
    const { token, answeredBy } = await login('tom');
    expect(answeredBy[0]).not.toBe(answeredBy[1]); // round robin: the next one
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const r = await instanceOf(token);
      // A token signed by one instance verifies on every other (one signing key, one home).
      expect(r.status).toBe(200);
      seen.set(r.instance!, (seen.get(r.instance!) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(instances.map((i) => i.id).sort());
    for (const count of seen.values()) expect(count).toBeGreaterThanOrEqual(5);

    const ws = await subscribedSocket<{ type: string; bar?: unknown }>(url, token, ['bars']);
    try {
      await until(() => ws.frames.some((f) => f.type === 'bar'), 15_000, 'a bar through nginx');
    } finally {
      ws.close();
    }
  });

  it('refuses a session revoked through one instance on every instance at once', async () => {
    const { token } = await login('ann');
    // A write with an empty body: 400 while the session is live (no order is ever placed).
    const write = (base: string) =>
      apiCall(base, 'POST', '/orders', { token, body: {}, headers: { 'idempotency-key': 'k-1' } });
    for (const i of instances) expect((await write(i.url)).status).toBe(400);
    const logout = await apiCall(url, 'POST', '/auth/logout', { token });
    expect(logout.status).toBe(204);
    const answers = await Promise.all(instances.map((i) => write(i.url)));
    expect(answers.map((a) => [a.status, a.json?.code])).toEqual(
      instances.map(() => [401, expect.any(String)]),
    );
  });

  it('keeps answering from the other two when one instance is killed -9', async () => {
    const { token } = await login('bob');
    // Three WebSockets through nginx: round robin puts one on each instance.
    const sockets: Awaited<ReturnType<typeof subscribedSocket<{ type: string }>>>[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await subscribedSocket(url, token, ['bars']));
    const victim = instances[1]!;
    process.kill(victim.pid, 'SIGKILL');
    await until(() => !alive(victim.pid), 10_000, 'the instance gone');
    await until(() => out.includes(`instance 2 (pid ${victim.pid}) exited (SIGKILL)`), 10_000);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      // Bounded: nginx tries the next instance when a connection is refused, so the first try
      // should already succeed; three tries at most.
      let tries = 0;
      const r = await until(
        async () => {
          tries++;
          const a = await instanceOf(token);
          return a.status === 200 ? a : tries < 3 ? undefined : a;
        },
        5_000,
        'a read after the kill',
      );
      expect(r.status).toBe(200);
      seen.add(r.instance!);
    }
    expect([...seen].sort()).toEqual([instances[0]!.id, instances[2]!.id].sort());

    // The victim's socket is closed by nginx; the other two keep getting bars, and a client that
    // reconnects through nginx lands on a live instance and gets them too.
    await until(() => sockets.filter((s) => !s.open()).length === 1, 10_000, 'one socket closed');
    const live = sockets.filter((s) => s.open());
    const bars = (s: (typeof sockets)[number]) => s.frames.filter((f) => f.type === 'bar').length;
    const before = live.map(bars);
    await until(() => live.every((s, i) => bars(s) > before[i]!), 15_000, 'bars after the kill');
    const again = await subscribedSocket<{ type: string }>(url, token, ['bars']);
    try {
      await until(() => bars(again) > 0, 15_000, 'bars after reconnecting');
    } finally {
      for (const s of [...sockets, again]) s.close();
    }
  });

  it('stops nginx and every instance on SIGTERM, and removes its folder', async () => {
    const nginxPid = Number(/nginx pid (\d+)/.exec(out)![1]);
    expect(existsSync(folder)).toBe(true);
    script.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect([nginxPid, ...instances.map((i) => i.pid)].filter(alive)).toEqual([]);
    expect(existsSync(folder)).toBe(false);
    expect(out).toContain('cluster: stopped');
  });
});
