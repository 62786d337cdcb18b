import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { price } from '../../../../src/trading/core/money.js';
import { PaperVenue } from '../../../../src/trading/venues/paper/paper-venue.js';
import { bar, instrument, submittedOrder } from '../../../support/builders.js';

const HOUR = 3_600_000;

/**
 * The paper venue releases closed reports on the market clock (its bars): a restart replays the
 * op log and snapshots to the same state, releases included, and still answers for what the last
 * bar closed.
 */
describe('PaperVenue, closed reports released on the market clock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-retention-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Two venues with a 6-hour window compacting every 40 ops: on the loop (a), off it (b). */
  function twoVenues() {
    const options = { venue: 'PAPER', instruments: [instrument()], closedRetentionMs: 6 * HOUR };
    const onLoop = path.join(dir, 'loop.json');
    const offLoop = path.join(dir, 'off.json');
    const a = new PaperVenue(onLoop, options, () => undefined, undefined, { compactEvery: 40 });
    const b = new PaperVenue(offLoop, options, () => undefined, undefined, {
      compactEvery: 40,
      compactOffThread: true,
      offThreadFromBytes: 0,
    });
    return { options, onLoop, offLoop, a, b };
  }

  it('reopens to the same state after a run longer than the window, snapshots and log alike', async () => {
    const inst = instrument();
    const options = { venue: 'PAPER', instruments: [inst], closedRetentionMs: 24 * HOUR };
    const file = path.join(dir, 'venue.json');
    const venue = new PaperVenue(file, options, () => undefined, undefined, { compactEvery: 50 });
    const bars = 24 * 5;
    for (let i = 1; i <= bars; i++) {
      const t = i * HOUR;
      venue.onBar(bar(100, 101, 99, 100, t));
      venue.submit(submittedOrder({ createdAt: t }, `m-${i}`), t);
      venue.submit(
        submittedOrder({ type: 'LIMIT', price: price('50'), createdAt: t }, `l-${i}`),
        t,
      );
      venue.cancel(`l-${i}`, t);
    }
    venue.onBar(bar(100, 101, 99, 100, (bars + 1) * HOUR));
    const state = venue.state();
    // Closed within the last day (hours 98-121): the market orders filled on those bars (m-97 to
    // m-120), the limits canceled on them (l-98 to l-120); nothing older.
    expect(state.reports.map((r) => r.clientOrderId).sort()).toEqual(
      [
        ...Array.from({ length: 24 }, (_, k) => `m-${97 + k}`),
        ...Array.from({ length: 23 }, (_, k) => `l-${98 + k}`),
      ].sort(),
    );
    const reopened = new PaperVenue(file, options, () => undefined);
    expect(reopened.state()).toEqual(state);
    // What the last bar closed is there for a restarted node's reconciliation.
    expect(await reopened.orderByClientId(`m-${bars}`)).toMatchObject({ status: 'FILLED' });
    // Released long ago: its outcome is kept (a tombstone), and its id stays taken.
    expect(await reopened.orderByClientId('m-1')).toMatchObject({ status: 'FILLED', reason: null });
    expect(await reopened.orderByClientId('l-1')).toMatchObject({
      status: 'CANCELED',
      reason: 'CANCELED_BY_USER',
    });
    expect(state.released).toHaveLength(2 * bars - state.reports.length);
    expect(reopened.state().trades).toHaveLength(bars);
    const seq = reopened.state().orderSeq;
    reopened.submit(submittedOrder({ createdAt: bars * HOUR }, 'm-1'), bars * HOUR);
    expect(reopened.state()).toMatchObject({ orderSeq: seq, duplicatesRefused: 1 });
    expect(new PaperVenue(file, options, () => undefined).state()).toEqual(reopened.state());
    venue.close();
    reopened.close();
  });

  it('a compaction worker writes the tombstones the event loop writes, byte for byte', async () => {
    const { options, onLoop, offLoop, a, b } = twoVenues();
    for (let i = 1; i <= 60; i++) {
      const t = i * HOUR;
      for (const v of [a, b]) {
        v.onBar(bar(100, 101, 99, 100, t));
        v.submit(submittedOrder({ createdAt: t }, `m-${i}`), t);
      }
      await b.settled();
    }
    expect(a.state().released!.length).toBeGreaterThan(40);
    expect(readFileSync(offLoop, 'utf8')).toBe(readFileSync(onLoop, 'utf8'));
    expect(readFileSync(offLoop, 'utf8')).toContain('"released":[["m-1","FILLED",null,"10"]');
    expect(new PaperVenue(offLoop, options, () => undefined).state()).toEqual(a.state());
    a.close();
    b.close();
  });

  it('releases what the store confirmed: logged, reopened and compacted (on and off the loop) alike, bounded', async () => {
    const { options, onLoop, offLoop, a, b } = twoVenues();
    const held: number[] = [];
    for (let i = 1; i <= 60; i++) {
      const t = i * HOUR;
      for (const v of [a, b]) {
        v.onBar(bar(100, 101, 99, 100, t));
        v.submit(submittedOrder({ createdAt: t }, `m-${i}`), t);
        v.submit(submittedOrder({ type: 'LIMIT', price: price('50'), createdAt: t }, `l-${i}`), t);
        v.cancel(`l-${i}`, t);
        // The node's store holds all of it, its last fill at t.
        v.confirmStored(t);
      }
      await b.settled();
      held.push(a.held.reports + a.held.tombstones + a.held.trades);
    }
    expect(readFileSync(offLoop, 'utf8')).toBe(readFileSync(onLoop, 'utf8'));
    const reopened = new PaperVenue(onLoop, options, () => undefined);
    expect(reopened.state()).toEqual(a.state());
    expect(new PaperVenue(offLoop, options, () => undefined).state()).toEqual(a.state());
    // Bounded by the window: the last 6 hours' reports and trades (a market order fills on the
    // next bar: m-60 still open), no tombstone.
    expect(a.held).toEqual({ reports: 13, tombstones: 0, trades: 6 });
    expect(Math.max(...held.slice(10))).toBe(Math.max(...held.slice(40)));
    // Within the window, the same answers; before it, the store answers.
    expect(await reopened.orderByClientId('m-59')).toMatchObject({ status: 'FILLED' });
    expect(await reopened.orderByClientId('l-55')).toMatchObject({ status: 'CANCELED' });
    expect(await reopened.orderByClientId('m-1')).toBeNull();
    expect((await reopened.tradesSince(54 * HOUR)).map((f) => f.clientOrderId)).toEqual([
      'm-54',
      'm-55',
      'm-56',
      'm-57',
      'm-58',
      'm-59',
    ]);
    a.close();
    b.close();
    reopened.close();
  });
});
