import { spawn } from 'node:child_process';
import path from 'node:path';
import { DATA, ROOT, runCli, KAIROS_ARGV } from '../support/run-cli.js';

const FILE = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json');

describe('kairos venue simulate', () => {
  it('prints its URLs and key, serves Binance REST, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        ...KAIROS_ARGV,
        'venue',
        'simulate',
        '--data',
        FILE,
        '--port',
        '0',
        '--speed',
        '0',
        '--preload',
        '100',
      ],
      { cwd: ROOT },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    const deadline = Date.now() + 30_000;
    while (!/Ctrl\+C/.test(out) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const rest = /REST:\s+(\S+)/.exec(out)?.[1];
    expect(rest).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
    expect(out).toMatch(/WS:\s+ws:\/\/127\.0\.0\.1:\d+\/ws/);
    expect(out).toMatch(/API key: kairos-sim-api-key/);
    expect(out).toMatch(/secret:\s+kairos-sim-secret/);
    const klines = (await (
      await fetch(`${rest}/klines?symbol=BTCUSDT&interval=1m&limit=1000`)
    ).json()) as unknown[];
    expect(klines).toHaveLength(100);
    const base = rest!.replace(/\/api\/v3$/, '');
    await fetch(`${base}/__advance`, { method: 'POST', body: '{"bars": 2}' });
    const state = (await (await fetch(`${base}/__state`)).json()) as { revealedBars: number };
    expect(state.revealedBars).toBe(102);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('names a bad flag', () => {
    const r = runCli(['venue', 'simulate', '--data', FILE, '--speed', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--speed: must be a non-negative number/);
    const account = runCli(['venue', 'simulate', '--data', FILE, '--account', 'only-a-key']);
    expect(account.code).toBe(2);
    expect(account.stderr).toMatch(/--account: must be apiKey:secret\[:ASSET=amount,...\]/);
    const twice = runCli([
      'venue',
      'simulate',
      '--data',
      FILE,
      '--account',
      'k:s1',
      '--account',
      'k:s2',
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--account: the API key k is given twice/);
  });
});
