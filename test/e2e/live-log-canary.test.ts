import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { LIVE_ARGS, spawnLive, startLiveSim, until } from '../support/ccxt-sim.js';
import { tempDir } from '../support/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON log lines, checked field by field
type Json = any;

/**
 * Issue 14's canary, on the venue side: `kairos live` at `LOG_LEVEL=debug` trades with an API
 * key and secret that are canaries (the simulator accepts only them). Its log (JSON lines on
 * stderr) never holds either, and says what an operator needs: each order state change with its
 * ids and venue, and the reconciliations.
 */
describe('kairos live logs at debug with no key or secret', () => {
  const apiKey = `CANARYKEY${randomBytes(12).toString('hex')}`;
  const secret = `CANARYSECRET${randomBytes(12).toString('hex')}`;
  const home = path.join(tempDir('kairos-live-log-'), 'home');
  let sim: BinanceSim;
  beforeAll(async () => {
    sim = await startLiveSim({ apiKey, secret });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('trades, logs every order state change, and no line holds the key or the secret', async () => {
    const { child, output, exited } = spawnLive(sim, home, LIVE_ARGS, { LOG_LEVEL: 'debug' });
    await until(() => /trading from/.test(output()), 60_000, 'the node to start');
    await until(() => sim.state.trades().length >= 1, 60_000, 'a fill at the venue');
    await until(() => /"message":"order filled"/.test(output()), 30_000, 'the fill to be logged');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const out = output();
    expect(sim.state.apiKeys.get(apiKey)).toBeGreaterThan(0); // the key was used
    expect(out).not.toContain(apiKey);
    expect(out).not.toContain(secret);

    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Json);
    expect(lines.every((l) => l.service === 'kairos' && l.command === 'live')).toBe(true);
    const filled = lines.find((l) => l.message === 'order filled');
    expect(filled).toMatchObject({
      level: 'info',
      component: 'orders',
      venue: 'binance',
      strategyId: 'sma-cross',
      clientOrderId: expect.stringMatching(/^sma-cross-\d+$/),
    });
    const ofFilled = lines.filter((l) => l.clientOrderId === filled.clientOrderId);
    expect(ofFilled.map((l) => l.message)).toEqual(
      expect.arrayContaining(['order initialized', 'order submitted', 'order accepted']),
    );
    expect(lines.some((l) => l.component === 'reconciliation')).toBe(true);
    // The user's story is still on stdout as text (the run printer's lines).
    expect(out).toMatch(/live sma-cross on binance BTC\/USDT: trading from/);
  }, 150_000);
});
