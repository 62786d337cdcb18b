import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PaperVenue } from '../../../../src/trading/venues/paper/paper-venue.js';
import { instrument, submittedOrder } from '../../../support/builders.js';

/**
 * The paper venue's state only grows (every order stays queryable), so a snapshot written every
 * 2,000 ops costs more per op the longer it runs. A new snapshot is written only once the log is
 * at least as large as the last one: what snapshots cost stays a fixed share of the log's writes.
 */
describe('PaperVenue snapshots', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-snap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a snapshot only when the log has grown as large as the last one, and reopens to the same state', () => {
    const inst = instrument();
    const options = { venue: 'PAPER', instruments: [inst] };
    const file = path.join(dir, 'venue.json');
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    const venue = new PaperVenue(file, options, () => undefined);
    const snapshots: { op: number; logBefore: number; snapshotBefore: number }[] = [];
    for (let i = 1; i <= 9_000; i++) {
      const logBefore = size(`${file}.log`);
      const snapshotBefore = size(file);
      // Resting buys far under the market: each one stays in the venue's state.
      venue.submit(
        submittedOrder({ instrumentId: inst.id, type: 'LIMIT', price: '1' as never }, `o-${i}`),
        i,
      );
      if (size(`${file}.log`) < logBefore) snapshots.push({ op: i, logBefore, snapshotBefore });
    }
    expect(snapshots[0]?.op).toBe(2_000);
    expect(snapshots.length).toBeGreaterThan(1);
    for (const s of snapshots) expect(s.logBefore).toBeGreaterThanOrEqual(s.snapshotBefore);
    const reopened = new PaperVenue(file, options, () => undefined);
    expect(reopened.state()).toEqual(venue.state());
    expect(reopened.state().reports).toHaveLength(9_000);
    venue.close();
    reopened.close();
  });

  it('writes the snapshot as JSON.stringify of { seq, state, t } would, byte for byte', () => {
    const inst = instrument();
    const options = { venue: 'PAPER', instruments: [inst] };
    for (const writer of [undefined, { token: 7 }]) {
      const file = path.join(dir, `venue-${writer?.token ?? 0}.json`);
      const venue = new PaperVenue(file, options, () => undefined, writer);
      for (let i = 1; i <= 2_000; i++) {
        // Quotes, backslashes and non-ASCII in a tag: the state's text is written in as it is.
        const order = submittedOrder(
          { instrumentId: inst.id, type: 'LIMIT', price: '1' as never, tag: `t"\\é${i}` },
          `o-${i}`,
        );
        venue.submit(order, i);
      }
      const state = venue.state();
      expect(readFileSync(file, 'utf8')).toBe(
        JSON.stringify({ seq: 2_000, state, ...(writer ? { t: writer.token } : {}) }),
      );
      expect(new PaperVenue(file, options, () => undefined).state()).toEqual(state);
    }
  });

  it('counts the log and the snapshot in bytes, also across a restart, when its ops are not ASCII', () => {
    const inst = instrument();
    const options = { venue: 'PAPER', instruments: [inst] };
    const file = path.join(dir, 'venue.json');
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    // Three UTF-8 bytes, one UTF-16 unit each: counted in characters, the sizes are far off.
    const id = (i: number) => `${'€'.repeat(40)}-${i}`;
    let venue = new PaperVenue(file, options, () => undefined);
    let since = 0;
    const compactions: number[] = [];
    for (let i = 1; i <= 7_000; i++) {
      // Restarted: the sizes it starts from are read from the files.
      if (i === 3_000) {
        venue.close();
        venue = new PaperVenue(file, options, () => undefined);
      }
      const logBefore = size(`${file}.log`);
      const snapshotBefore = size(file);
      venue.submit(
        submittedOrder({ instrumentId: inst.id, type: 'LIMIT', price: '1' as never }, id(i)),
        i,
      );
      const compacted = size(`${file}.log`) < logBefore;
      // The rule, in the files' own sizes: at least 2,000 ops and a log as large as the snapshot.
      expect([i, compacted]).toEqual([i, since + 1 >= 2_000 && logBefore >= snapshotBefore]);
      if (compacted) compactions.push(i);
      since = compacted ? 0 : since + 1;
    }
    venue.close();
    // One before the restart, and one after it at least (the rule was checked there too).
    expect(compactions[0]).toBe(2_000);
    expect(compactions.some((i) => i > 3_000)).toBe(true);
  });
});
