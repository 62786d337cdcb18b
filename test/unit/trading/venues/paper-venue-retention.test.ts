import { mkdtempSync, rmSync } from 'node:fs';
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
    expect(await reopened.orderByClientId('m-1')).toBeNull();
    expect(reopened.state().trades).toHaveLength(bars);
    venue.close();
    reopened.close();
  });
});
