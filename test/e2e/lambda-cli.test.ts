import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { btcSlice, paperArgs } from '../support/paper-args.js';
import { startLambdaFaultProxy } from '../support/lambda-fault-proxy.js';
import { TEST_DATABASE_URL } from '../support/postgres.js';
import { ROOT, runCli, runCliAsync, KAIROS_ARGV } from '../support/run-cli.js';
import { freshStore } from '../support/stores.js';
import { until } from '../support/until.js';
import { tempDir } from '../support/temp-dir.js';

const SMA = 'examples/strategies/sma-cross.ts';

describe('kairos strategy deploy | versions | rollback | remove, and paper --lambda', () => {
  const dir = tempDir('kairos-lambda-cli-');
  // 120 bars: 32 order lines to compare (the function's invocations cost `lambda serve` ~5 ms a bar).
  const data = btcSlice(path.join(dir, 'btc.json'), 120);
  let server: ChildProcess;
  let url = '';
  /**
   * The homes whose commands open a store keep it in a Postgres schema of their own: PGlite
   * would start in each of their eleven processes (~0.5 s of CPU each). The commands refused before
   * they open a store run in embedded homes (`embedded`), where no database folder must appear.
   */
  const stores: Record<string, Awaited<ReturnType<typeof freshStore>>> = {};
  const env = (home: string) => ({
    KAIROS_HOME: path.join(dir, home),
    AWS_ENDPOINT_URL_LAMBDA: url,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: stores[home]!.schema!,
  });
  const embedded = (home: string) => ({
    KAIROS_HOME: path.join(dir, home),
    AWS_ENDPOINT_URL_LAMBDA: url,
  });
  /** The order lines a paper run printed. */
  const orderLines = (stdout: string) =>
    stdout.split('\n').filter((l) => /sma-cross-\d+/.test(l) && !/^(recovery|position)/.test(l));

  /**
   * A function's published versions and whether alias live points to each, read from the
   * endpoint itself (Lambda's REST API, as the SDK calls it) rather than by one more process.
   */
  const endpointVersions = async (fn: string) => {
    const get = async (p: string) =>
      (await (await fetch(`${url}/2015-03-31/functions/${fn}/${p}`)).json()) as Record<
        string,
        Record<string, string>[]
      >;
    const { Versions } = await get('versions');
    const { Aliases } = await get('aliases');
    const live = Aliases!.find((a) => a.Name === 'live')?.FunctionVersion;
    return Versions!
      .filter((v) => v.Version !== '$LATEST')
      .map((v) => [v.Version, v.Version === live]);
  };

  beforeAll(async () => {
    for (const home of ['a', 'd', 'in-process', 'lambda'])
      stores[home] = await freshStore('postgres');
    server = spawn(process.execPath, [...KAIROS_ARGV, 'lambda', 'serve', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, KAIROS_HOME: path.join(dir, 'server') },
    });
    let out = '';
    server.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    url = await until(
      () => /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1],
      30_000,
      'lambda serve',
    );
  }, 40_000);
  afterAll(async () => {
    server.kill('SIGTERM');
    for (const store of Object.values(stores)) await store.drop();
  });

  it('deploys, trades through Lambda with the in-process orders, rolls back, removes; each change audited', async () => {
    const deployed = runCli(
      ['strategy', 'deploy', SMA, '--name', 'sma', '--actor', 'quinn'],
      env('a'),
    );
    expect(deployed.stderr).toBe('');
    expect(deployed.stdout).toMatch(
      /^created function sma \(sma-cross, sha256 [0-9a-f]{16}…\): version 1, alias live created -> 1/,
    );

    // Two homes, two processes at once: the file waits for the slower, not for both in turn.
    const [inProcess, viaLambda] = await Promise.all([
      runCliAsync(paperArgs(data), env('in-process')),
      runCliAsync([...paperArgs(data), '--lambda', 'sma'], env('lambda')),
    ]);
    expect(inProcess.code).toBe(0);
    expect(viaLambda.stderr).toBe('');
    expect(viaLambda.code).toBe(0);
    expect(orderLines(inProcess.stdout).length).toBeGreaterThan(1);
    expect(orderLines(viaLambda.stdout)).toEqual(orderLines(inProcess.stdout));
    // The start line says the strategy runs as the function; the in-process one says nothing.
    expect(viaLambda.stdout.split('\n')[0]).toMatch(/ · Lambda function sma · fresh start · /);
    expect(inProcess.stdout.split('\n')[0]).not.toMatch(/Lambda/);

    const v2 = runCli(
      ['strategy', 'deploy', SMA, '--name', 'sma', '--memory', '512', '--actor', 'quinn'],
      env('a'),
    );
    expect(v2.stdout).toMatch(/updated function sma .*: version 2, alias live moved from 1 -> 2/);
    const versions = runCli(['strategy', 'versions', 'sma', '--json'], env('a'));
    expect(
      JSON.parse(versions.stdout).map((v: { version: string; live: boolean; memoryMb: number }) => [
        v.version,
        v.live,
        v.memoryMb,
      ]),
    ).toEqual([
      ['1', false, 256],
      ['2', true, 512],
    ]);
    const back = runCli(['strategy', 'rollback', 'sma', '--to', '1', '--actor', 'rita'], env('a'));
    expect(back.stdout).toBe('alias live of sma: 2 -> 1\n');
    // The alias itself moved (read back from the endpoint), not only the line printed.
    expect(await endpointVersions('sma')).toEqual([
      ['1', true],
      ['2', false],
    ]);
    const missing = runCli(['strategy', 'rollback', 'sma', '--to', '7'], env('a'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^kairos: lambda: get sma:7: ResourceNotFoundException: .* \[LAMBDA_NOT_FOUND\]\n$/,
    );
    expect(runCli(['strategy', 'remove', 'sma', '--actor', 'rita'], env('a')).code).toBe(0);

    const gone = runCli([...paperArgs(data), '--lambda', 'sma'], embedded('gone'));
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^kairos: lambda: function sma:live: ResourceNotFoundException/);
    // Refused before the strategy was loaded and the store opened.
    expect(existsSync(path.join(dir, 'gone'))).toBe(false);

    const rows = await stores
      .a!.db.selectFrom('audit_log')
      .select(['actor', 'action', 'subject', 'payload'])
      .where('action', 'like', 'strategy.%')
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => [r.actor, r.action, r.subject])).toEqual([
      ['quinn', 'strategy.deployed', 'lambda:sma'],
      ['quinn', 'strategy.deployed', 'lambda:sma'],
      ['rita', 'strategy.rolled_back', 'lambda:sma'],
      ['rita', 'strategy.removed', 'lambda:sma'],
    ]);
    const payload = (p: unknown) => (typeof p === 'string' ? JSON.parse(p) : p) as object;
    expect(payload(rows[1]!.payload)).toMatchObject({ version: '2', previousVersion: '1' });
    expect(payload(rows[2]!.payload)).toMatchObject({ from: '2', to: '1' });
    // Nine CLI processes, mostly one after the other: on a loaded machine each takes tens of seconds.
  }, 360_000);

  it('a denied publish moves no alias and audits nothing; a wrong region is LAMBDA_WRONG_REGION; one line, exit 2', async () => {
    const first = runCli(['strategy', 'deploy', SMA, '--name', 'guarded'], env('d'));
    expect(first.stderr).toBe('');
    const proxy = await startLambdaFaultProxy(url);
    try {
      proxy.fault = ({ method, path: p }) =>
        method === 'POST' && p === '/2015-03-31/functions/guarded/versions'
          ? {
              status: 403,
              type: 'AccessDeniedException',
              message:
                'User: arn:aws:iam::123456789012:user/quinn is not authorized to perform: lambda:PublishVersion',
            }
          : null;
      const denied = await runCliAsync(
        ['strategy', 'deploy', SMA, '--name', 'guarded', '--memory', '512'],
        { ...env('d'), AWS_ENDPOINT_URL_LAMBDA: proxy.url },
      );
      expect(denied.code).toBe(2);
      expect(denied.stdout).toBe('');
      expect(denied.stderr).toMatch(
        /^kairos: lambda: publish version of guarded: AccessDeniedException: User: \S+ is not authorized to perform: lambda:PublishVersion \(check the credentials of the default chain and their IAM permissions, and AWS_REGION\) \[LAMBDA_DENIED\]\n$/,
      );
      expect(proxy.failed).toEqual(['POST /2015-03-31/functions/guarded/versions']);
    } finally {
      await proxy.close();
    }
    expect(await endpointVersions('guarded')).toEqual([['1', true]]);

    const wrong = runCli(['strategy', 'rollback', 'guarded', '--to', '1'], {
      ...env('d'),
      AWS_REGION: 'eu-west-1',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /^kairos: lambda: [^\n]+: InvalidSignatureException: Credential should be scoped to a valid region, not 'eu-west-1'\. \(set AWS_REGION to the region of the function's endpoint\) \[LAMBDA_WRONG_REGION\]\n$/,
    );

    const rows = await stores
      .d!.db.selectFrom('audit_log')
      .select(['action', 'subject'])
      .where('action', 'like', 'strategy.%')
      .execute();
    expect(rows).toEqual([{ action: 'strategy.deployed', subject: 'lambda:guarded' }]);
  }, 120_000);

  it("a second lambda serve on the taken port stops at once, one line, exit 2, leaving the first server's code", () => {
    const port = new URL(url).port;
    const work = path.join(dir, 'server', 'lambda', `serve-${server.pid}`);
    writeFileSync(path.join(work, 'marker'), 'first');
    const second = runCli(['lambda', 'serve', '--port', port], {
      KAIROS_HOME: path.join(dir, 'server'),
    });
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(
      `kairos: --port ${port}: already in use on 127.0.0.1 (pick another with --port, or 0 for any free one) [PORT_IN_USE]\n`,
    );
    expect(readdirSync(path.join(dir, 'server', 'lambda'))).toEqual([`serve-${server.pid}`]);
    expect(readFileSync(path.join(work, 'marker'), 'utf8')).toBe('first');
  }, 60_000);

  it('an endpoint that does not answer, and a bad --lambda, are one line with exit 2', async () => {
    const [r, bad, live] = await Promise.all([
      runCliAsync(['strategy', 'versions', 'sma'], {
        KAIROS_HOME: path.join(dir, 'b'),
        AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:1',
      }),
      runCliAsync([...paperArgs(data), '--lambda', 'no such'], embedded('c')),
      runCliAsync(
        [
          'live',
          SMA,
          '--exchange',
          'binance',
          '--symbol',
          'BTC/USDT',
          '--cash',
          '100',
          '--lambda',
          'sma',
        ],
        { KAIROS_HOME: path.join(dir, 'e'), AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:1' },
      ),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^kairos: lambda: .*ECONNREFUSED.*kairos lambda serve.* \[LAMBDA_UNREACHABLE\]\n$/,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kairos: --lambda: must be a function name/);
    // Refused before the run opened its store (it used to load the strategy and open it first).
    expect(existsSync(path.join(dir, 'c', 'db'))).toBe(false);
    // `live` checks its function first: no strategy loaded, no store opened, no venue reached.
    expect(live.code).toBe(2);
    expect(live.stderr).toMatch(
      /^kairos: lambda: function sma:live: .*ECONNREFUSED.* \[LAMBDA_UNREACHABLE\]\n$/,
    );
    expect(existsSync(path.join(dir, 'e'))).toBe(false);
  }, 60_000);
});
