import path from 'node:path';
import { MarketReplay, RECENT_BARS } from '../../../src/system/market-replay.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { btcSlice } from '../../support/paper-args.js';
import { tempDir } from '../../support/temp-dir.js';

describe('MarketReplay.recent', () => {
  const file = btcSlice(path.join(tempDir('replay-'), 'b.json'), 1005);

  it('keeps the last RECENT_BARS bars, oldest first, after the buffer wraps', async () => {
    const seen: Bar[] = [];
    const replay = new MarketReplay(file, 'BTC/X', 0, async (bar) => {
      seen.push(bar);
    });
    expect(replay.recent(10)).toEqual([]);
    expect(await replay.run(new AbortController().signal)).toBe(1005);
    expect(replay.recent(3)).toEqual(seen.slice(-3));
    expect(replay.recent(5000)).toEqual(seen.slice(-RECENT_BARS));
    expect(replay.recent(0)).toEqual([]);
  });

  it('answers what it has before the buffer is full', async () => {
    const small = btcSlice(path.join(path.dirname(file), 's.json'), 4);
    const replay = new MarketReplay(small, 'BTC/X', 0, async () => undefined);
    await replay.run(new AbortController().signal);
    const bars = replay.recent(10);
    expect(bars).toHaveLength(4);
    expect(bars.map((b) => b.openTime)).toEqual(
      [...bars.map((b) => b.openTime)].sort((a, b) => a - b),
    );
  });
});
