import fc from 'fast-check';
import {
  diedInLatestBar,
  latestClosedBar,
  replayedTradesSince,
} from '../../../../src/trading/live/latest-closed-bar.js';

const M = 60_000;

/**
 * A restarted live node (`kairos live`, `kairos paper --exchange`) plays the bar it died in again
 * when that bar is still the venue's latest closed one. It learns that from the venue's three
 * newest candles; a minute without trades has no candle on some venues, before or after the bar,
 * and the minute now forming may have none yet.
 */
describe('the bar a restarted live node died in, on a venue whose bars have gaps', () => {
  /** The node's decision from the venue's three newest candles at `now` (as `openVenueFeed`). */
  const replays = (has: readonly boolean[], now: number, snapshotTs: number) => {
    const candles = has.flatMap((h, m) => (h && m * M <= now ? [m * M] : [])).slice(-3);
    const latest = latestClosedBar(candles, M, Math.max(now, candles.at(-1) ?? 0));
    return latest !== undefined && diedInLatestBar(snapshotTs, latest);
  };

  it('is played again exactly when no closed candle lies after it, whatever the gaps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 2, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: M - 1 }),
        (has, pickDone, pickNow, offset) => {
          // `now` lies in minute k; the node finished bar `done` (a closed candle) and saved its
          // snapshot at its close, then took the next candle to close, if any.
          const k = 1 + (pickNow % has.length);
          const closed = has.flatMap((h, m) => (h && m < k ? [m] : []));
          fc.pre(closed.length > 0);
          const done = closed[pickDone % closed.length]!;
          const diedIn = closed.find((m) => m > done);
          const expected = diedIn !== undefined && diedIn === closed.at(-1);
          expect(replays(has, k * M + offset, (done + 1) * M)).toBe(expected);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('a gap before it, or no candle yet for the minute now forming', () => {
    // Bars 0, 1, then no trades in minute 2; the node finished bar 1 and died in bar 3.
    const S = 2 * M;
    expect(replays([true, true, false, true, true], 4 * M + 10, S)).toBe(true);
    // The minute now forming has no trade yet: bar 3 is still the latest closed one.
    expect(replays([true, true, false, true, false], 4 * M + 10, S)).toBe(true);
    expect(replays([true, true, true, true, false], 4 * M + 10, 3 * M)).toBe(true);
    // Bar 4 closed since (the venue did not wait): bar 3 is gone.
    expect(replays([true, true, false, true, true, false], 5 * M + 10, S)).toBe(false);
    expect(replays([true, true, false, true, true, true], 5 * M + 10, S)).toBe(false);
  });

  it('a restarted feed replays the trades from the snapshot only when the bar is replayed', () => {
    const latest = { closeTime: 4 * M, previousCloseTime: 3 * M };
    expect(replayedTradesSince(3 * M, latest)).toBe(3 * M);
    // The snapshot is of the latest closed bar: the node died in the bar still forming.
    expect(replayedTradesSince(4 * M, latest)).toBe(4 * M);
    expect(replayedTradesSince(2 * M, latest)).toBeUndefined();
    expect(replayedTradesSince(null, latest)).toBeUndefined();
    expect(replayedTradesSince(3 * M, undefined)).toBeUndefined();
  });
});
