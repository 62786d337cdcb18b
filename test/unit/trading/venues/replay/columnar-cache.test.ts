import { readdirSync, writeFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { barsFromColumns } from '../../../../../src/trading/data/bar-columns.js';
import { loadColumns } from '../../../../../src/trading/venues/replay/columnar-cache.js';
import { openBars } from '../../../../../src/trading/venues/replay/open-data.js';
import { DATA } from '../../../../support/run-cli.js';
import { collect as all } from '../../../../support/collect.js';
import { tempDir } from '../../../../support/temp-dir.js';

describe('columnar cache', () => {
  const file = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json');
  const opts = { instrumentId: 'BTC' };

  it('round-trips every bar exactly and applies from/to', async () => {
    const dir = tempDir('kairos-col-');
    const cols = await loadColumns(file, opts, dir);
    expect(cols.length).toBe(13681);
    const original = await all(openBars(file, opts));
    expect(await all(barsFromColumns(cols, opts))).toEqual(original);
    const again = await loadColumns(file, opts, dir);
    expect(again.close).toEqual(cols.close);
    const from = original[100]!.openTime;
    const to = original[200]!.openTime;
    expect(await all(barsFromColumns(cols, { ...opts, from, to }))).toEqual(
      original.slice(100, 200),
    );
  });

  it('rebuilds a truncated or corrupt cache file', async () => {
    const dir = tempDir('kairos-col-');
    await loadColumns(file, opts, dir);
    const cached = path.join(dir, readdirSync(dir)[0]!);
    truncateSync(cached, 1000);
    expect((await loadColumns(file, opts, dir)).length).toBe(13681);
    writeFileSync(cached, Buffer.from('not a cache'));
    expect((await loadColumns(file, opts, dir)).length).toBe(13681);
  });
});
