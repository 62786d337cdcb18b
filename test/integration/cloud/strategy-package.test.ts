import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaStep, LambdaStepResult } from '../../../src/cloud/lambda/lambda-protocol.js';
import { MAX_DIRECT_ZIP_BYTES, readZip } from '../../../src/cloud/lambda/lambda-zip.js';
import { packageStrategy } from '../../../src/system/strategy-package.js';
import { ROOT, runCli } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';

const dir = tempDir('kairos-package-');
const SMA = path.join(ROOT, 'examples/strategies/sma-cross.ts');
const instrument = { id: 'ORCL', base: 'ORCL', quote: 'USD', tickSize: '0.01', lotSize: '1' };
const view = (ts: number) => ({
  ts,
  position: { quantity: '0', lots: [], realizedPnl: '0', fees: '0', openedAt: null },
  cash: { USD: '100000', ORCL: '0' },
  orders: [],
});
const bar = (i: number, close: number) => ({
  instrumentId: 'ORCL',
  openTime: i * 60_000,
  closeTime: (i + 1) * 60_000,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1,
});

describe('kairos strategy package', () => {
  it('gives the same zip bytes for the same file, with a manifest', async () => {
    const a = await packageStrategy(SMA, path.join(dir, 'build'));
    // From another working folder and build folder: paths in the bundle are the strategy's.
    const cwd = process.cwd();
    process.chdir(os.tmpdir());
    let b: Awaited<ReturnType<typeof packageStrategy>>;
    try {
      b = await packageStrategy(path.relative(os.tmpdir(), SMA), path.join(dir, 'build-2'));
    } finally {
      process.chdir(cwd);
    }
    expect(Buffer.from(a.zip).equals(Buffer.from(b.zip))).toBe(true);
    const files = readZip(a.zip);
    expect(Object.keys(files).sort()).toEqual(['index.mjs', 'kairos-manifest.json']);
    const manifest = JSON.parse(Buffer.from(files['kairos-manifest.json']!).toString('utf8'));
    expect(manifest).toMatchObject({
      format: 'kairos.lambda-strategy/1',
      strategy: 'sma-cross',
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      source: 'sma-cross.ts',
      params: { fast: { type: 'int', default: 10 }, size: { type: 'decimal', default: '100' } },
    });
    expect(manifest.sdkVersion).toMatch(/^\d+\.\d+\.\d+/);
    const { createHash } = await import('node:crypto');
    expect(manifest.codeSha256).toBe(
      createHash('sha256').update(files['index.mjs']!).digest('hex'),
    );
  });

  it("refuses a package over Lambda's direct-upload limit (LAMBDA_PACKAGE_TOO_LARGE, one line); at the limit it is kept", async () => {
    const build = path.join(dir, 'build');
    const { zip } = await packageStrategy(SMA, build);
    expect(MAX_DIRECT_ZIP_BYTES).toBe(50 * 1024 * 1024);
    expect((await packageStrategy(SMA, build, undefined, zip.byteLength)).zip).toEqual(zip);
    await expect(packageStrategy(SMA, build, undefined, zip.byteLength - 1)).rejects.toMatchObject({
      code: 'LAMBDA_PACKAGE_TOO_LARGE',
      message: `strategy file ${SMA}: the package is ${zip.byteLength} bytes, over Lambda's ${zip.byteLength - 1} for a direct upload`,
    });
  });

  it("the CLI writes the same bytes, and the zip's handler run directly answers a step", async () => {
    const out = path.join(dir, 'out');
    const r = runCli(['strategy', 'package', SMA, '--out', out], {
      KAIROS_HOME: path.join(dir, 'home'),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/packaged sma-cross \(\d+ bytes, sha256 [0-9a-f]{64}\)/);
    const zip = readFileSync(path.join(out, 'sma-cross.zip'));
    const inProcess = await packageStrategy(SMA, path.join(dir, 'build'));
    expect(zip.equals(Buffer.from(inProcess.zip))).toBe(true);

    const code = readZip(zip)['index.mjs']!;
    const file = path.join(dir, 'index.mjs');
    writeFileSync(file, code);
    const { handler } = (await import(pathToFileURL(file).href)) as {
      handler: (e: LambdaStep) => Promise<LambdaStepResult>;
    };
    const params = { fast: 2, slow: 3, size: '5' };
    const base = { v: 1 as const, strategyId: 'sma', accountId: 'paper', instrument, params };
    const started = await handler({
      ...base,
      seq: 0,
      state: null,
      warmup: [],
      request: {
        kind: 'start',
        accountId: 'paper',
        start: { state: null, ordersMade: 0, random: 1 },
        view: view(0),
      },
    });
    expect(started.reply.ok).toBe(true);
    expect(started.state?.state).toEqual({ lastSign: 0 });
    // Falling, then a rise: the fast SMA crosses above the slow one on the last bar.
    const closes = [10, 9, 8, 7];
    const warmup = closes.map(
      (c, i) => ['b', i * 60_000, (i + 1) * 60_000, c, c, c, c, 1] as const,
    );
    const step = {
      ...base,
      seq: 1,
      state: { ...started.state!, state: { lastSign: -1 } },
      warmup,
      request: { kind: 'bar' as const, bar: bar(4, 20), view: view(5 * 60_000) },
    };
    const answer = await handler(step);
    expect(answer.reply).toEqual({
      ok: true,
      output: {
        commands: [
          {
            kind: 'submit',
            clientOrderId: 'sma-1',
            request: { side: 'BUY', quantity: '5' },
            ts: 5 * 60_000,
          },
        ],
        logs: [],
      },
      ordersMade: 1,
      snapshot: null,
    });
    expect(answer.state).toMatchObject({ state: { lastSign: 1 }, ordersMade: 1 });
    expect(answer.keep).toEqual({ bars: 500, trades: 1 });
    // Nothing is kept between calls: the same step gives the same answer.
    expect(await handler(step)).toEqual(answer);
  });
});
