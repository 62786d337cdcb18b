import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3ObjectStore } from '../../src/cloud/s3-object-store.js';
import { loadBars } from '../../src/simulators/binance/load-bars.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import { start, type BinanceSim } from '../../src/simulators/binance/server.js';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { byteDiff } from '../support/bytes.js';
import { TEST_DATABASE_URL } from '../support/postgres.js';
import { DATA, runCliAsync } from '../support/run-cli.js';
import { spawnServe } from '../support/spawn-serve.js';
import { freshStore } from '../support/stores.js';
import { until } from '../support/until.js';
import { startS3, type LocalS3 } from '../support/s3rver.js';

const SMA = 'examples/strategies/sma-cross.ts';
const ORCL = path.join(DATA, 'backtrader/orcl-1995-2014.txt');
const BTC = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json');

describe('kairos with s3:// paths (s3rver)', () => {
  let s3: LocalS3;
  let sim: BinanceSim;
  let bars: Bar[];
  let dir: string;
  let env: Record<string, string>;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let serveStore: Awaited<ReturnType<typeof freshStore>>;
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runCliAsync(args, { ...env, ...extra });
  const exportArgs = (out: string, ...more: string[]) => [
    'audit',
    'export',
    '--from',
    '2024-01-01',
    '--to',
    '2024-01-02',
    '--out',
    out,
    ...more,
  ];

  beforeAll(async () => {
    s3 = await startS3(['kairos-audit', 'kairos-data']);
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-s3-cli-'));
    // The commands share the test's Postgres schema (PGlite would start in each process).
    store = await freshStore('postgres');
    // The server's own schema (PGlite's start was half of its CPU); its rows are not the export's.
    serveStore = await freshStore('postgres');
    env = {
      ...s3.env,
      KAIROS_HOME: path.join(dir, 'home'),
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: store.schema!,
    };
    let wall = 0;
    const audit = new AuditRepository(store.db, () => wall);
    for (let i = 1; i <= 3; i++) {
      wall = Date.UTC(2024, 0, 1, i);
      await audit.append({
        ts: wall,
        actor: 'ann',
        role: 'trader',
        action: 'x',
        subject: `s-${i}`,
        payload: { i },
      });
    }
    bars = (await loadBars(BTC, 'BTC/USDT')).bars.slice(0, 500);
    sim = await start({ port: 0, data: bars, symbol: 'BTC/USDT', preloadBars: bars.length - 1 });
    await S3ObjectStore.open('s3://kairos-data/backtrader', s3.settings).put('orcl-1995-2014.txt', {
      file: ORCL,
    });
    await S3ObjectStore.open('s3://kairos-data/freqtrade', s3.settings).put('BTC-1m.json', {
      file: BTC,
    });
  });

  it('serve --data s3:// replays the object (the deployment keeps its feed in a bucket)', async () => {
    const s = spawnServe(
      {
        ...s3.env,
        KAIROS_HOME: path.join(dir, 'serve-home'),
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: serveStore.schema!,
      },
      's3://kairos-data/freqtrade/BTC-1m.json',
    );
    try {
      const api = await s.api();
      expect(s.out()).toMatch(/kairos listening on \S+ \(BTC\/USDT;/);
      // The feed is the staged copy, checked against the object's SHA-256, and it runs.
      expect(
        byteDiff(
          readFileSync(path.join(dir, 'serve-home/cache/s3/kairos-data/freqtrade/BTC-1m.json')),
          readFileSync(BTC),
        ),
      ).toBe('identical');
      const ready = await until(
        async () => {
          const res = await fetch(`${api}/health/ready`);
          return res.status === 200
            ? ((await res.json()) as { checks: { name: string; status: string }[] })
            : undefined;
        },
        30_000,
        'ready',
      );
      expect(ready.checks.find((c) => c.name === 'venue')?.status).toBe('pass');
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
    const missing = await run([
      'serve',
      '--data',
      's3://kairos-data/none.json',
      '--symbol',
      'BTC/USDT',
      '--port',
      '0',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'kairos: get s3://kairos-data/none.json: no such object [OBJECT_NOT_FOUND]\n',
    );
  }, 120_000);
  afterAll(async () => {
    await sim.close();
    await s3.close();
    await store.drop();
    await serveStore.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('audit export: refuses a bucket without Object Lock, exports with --no-lock, verifies from S3', async () => {
    const refused = await run(exportArgs('s3://kairos-audit/day'));
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(
      'kairos: s3://kairos-audit/day: the bucket has no Object Lock, so the export could be changed or deleted; use a bucket created with Object Lock (docs/cloud.md) or pass --no-lock [OBJECT_LOCK_MISSING]\n',
    );
    const exported = await run(exportArgs('s3://kairos-audit/day', '--no-lock'));
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^exported 3 row\(s\), seq 1…3 to s3:\/\/kairos-audit\/day\n/);
    expect(exported.stdout).toMatch(/verify with: kairos audit verify s3:\/\/kairos-audit\/day /);
    const verified = await run(['audit', 'verify', 's3://kairos-audit/day']);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toMatch(/OK: signature valid/);
  });

  it('bad input: one line, exit 2, nothing written', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        exportArgs('s3://Bad_Bucket/x', '--no-lock'),
        {},
        /^kairos: "s3:\/\/Bad_Bucket\/x": bucket "Bad_Bucket" is not a valid S3 bucket name/,
      ],
      [
        exportArgs('s3://kairos-audit/denied', '--no-lock'),
        { AWS_ACCESS_KEY_ID: 'WRONG-KEY', AWS_SECRET_ACCESS_KEY: 'canary-secret-17' },
        /^kairos: read the Object Lock configuration of s3:\/\/kairos-audit: access denied \(InvalidAccessKeyId\): check the credentials and the bucket policy \[OBJECT_STORE_DENIED\]\n$/,
      ],
      [
        ['backtest', SMA, '--data', 's3://kairos-data/none.txt'],
        {},
        /^kairos: get s3:\/\/kairos-data\/none\.txt: no such object \[OBJECT_NOT_FOUND\]\n$/,
      ],
    ];
    const results = await Promise.all(cases.map(([args, extra]) => run(args, extra)));
    results.forEach((r, i) => {
      expect([i, r.code]).toEqual([i, 2]);
      expect(r.stderr).toMatch(cases[i]![2]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain('canary-secret-17');
    });
    expect(await S3ObjectStore.open('s3://kairos-audit/denied', s3.settings).list()).toEqual([]);
  });

  it('backtest --data s3:// gives the report of the local file; data download --out s3:// grows the object', async () => {
    const common = ['--params', 'fast=10,slow=30,size=100'];
    const [remote, local] = await Promise.all([
      run([
        'backtest',
        SMA,
        '--data',
        's3://kairos-data/backtrader/orcl-1995-2014.txt',
        ...common,
        '--out',
        path.join(dir, 'remote'),
      ]),
      run(['backtest', SMA, '--data', ORCL, ...common, '--out', path.join(dir, 'local')]),
    ]);
    expect([remote.code, remote.stderr]).toEqual([0, '']);
    expect(local.code).toBe(0);
    const report = (d: string) => readFileSync(path.join(dir, d, 'report.json'), 'utf8');
    expect(report('remote')).toBe(report('local'));

    const url = 's3://kairos-data/binance/BTC_USDT-1m.json';
    const download = (until: string) =>
      run([
        'data',
        'download',
        '--exchange',
        'binance',
        '--symbol',
        'BTC/USDT',
        '--since',
        '2017-11-04',
        '--until',
        until,
        '--exchange-url',
        sim.url,
        '--out',
        url,
        '--no-progress',
      ]);
    const before = (until: string) => bars.filter((b) => b.openTime < Date.parse(until)).length;
    const [n1, n2] = [before('2017-11-05T00:02:00Z'), before('2017-11-05T01:02:00Z')];
    expect(n1).toBeGreaterThan(10);
    expect(n2).toBeGreaterThan(n1);
    const first = await download('2017-11-05T00:02:00Z');
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(
      new RegExp(`^${n1} new candles; ${n1} in s3://kairos-data/binance/BTC_USDT-1m\\.json`),
    );
    const store = S3ObjectStore.open('s3://kairos-data/binance', s3.settings);
    const rows = async () =>
      JSON.parse(Buffer.from(await store.get('BTC_USDT-1m.json')).toString()) as number[][];
    expect(await rows()).toHaveLength(n1);
    // Again with a later end: resumes after what the object holds, every candle once.
    const second = await download('2017-11-05T01:02:00Z');
    expect(second.stdout).toMatch(new RegExp(`^${n2 - n1} new candles; ${n2} in s3:`));
    const all = await rows();
    expect(all.map((r) => r[0])).toEqual(bars.slice(0, n2).map((b) => b.openTime));
  });
});
