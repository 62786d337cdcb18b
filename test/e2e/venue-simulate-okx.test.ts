import path from 'node:path';
import { syntheticBars, writeBarsFile } from '../support/ccxt-sim.js';
import { okxExchange } from '../support/okx-sim.js';
import { runCliAsync } from '../support/run-cli.js';
import { killVenue, spawnVenue } from '../support/spawn-venue.js';
import { tempDir } from '../support/temp-dir.js';

const SYMBOL = 'BTC/USDT';

describe('kairos venue simulate --venue okx', () => {
  const dir = tempDir('kairos-venue-okx-');
  const data = writeBarsFile(path.join(dir, 'BTC-1m.json'), syntheticBars(2000));

  it("serves OKX's API v5 with the keys it prints; ccxt okx trades on it", async () => {
    const key = { apiKey: 'k1', secret: 's1', passphrase: 'p1' };
    const venue = await spawnVenue([
      '--venue',
      'okx',
      '--data',
      data,
      '--port',
      '0',
      '--lot',
      '0.0001',
      '--balance',
      'BTC=1,USDT=100000',
      '--api-key',
      key.apiKey,
      '--secret',
      key.secret,
      '--passphrase',
      key.passphrase,
    ]);
    try {
      expect(venue.output()).toMatch(/Simulated OKX spot venue/);
      expect(venue.output()).toContain('passphrase: p1');
      const ex = await okxExchange({ url: venue.url, key });
      await ex.loadMarkets();
      const o = await ex.createOrder(SYMBOL, 'market', 'buy', 0.5, undefined, {
        clientOrderId: 'e1',
      });
      const filled = await ex.fetchOrder(String(o.id), SYMBOL);
      expect(filled).toMatchObject({ clientOrderId: 'e1', status: 'closed', filled: 0.5 });
      expect((await ex.fetchBalance())['BTC']).toMatchObject({ total: 1.4995 });
      await ex.close();
    } finally {
      await killVenue(venue);
    }
  });

  it("refuses the Binance simulator's own settings by name", async () => {
    const r = await runCliAsync([
      'venue',
      'simulate',
      '--venue',
      'okx',
      '--data',
      data,
      '--state',
      path.join(dir, 's.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--state: not with --venue okx/);
  });
});
