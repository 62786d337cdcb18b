import { jest } from '@jest/globals';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimulatedExchange } from '../../../../src/trading/backtest/simulated-exchange.js';
import { toDecimal } from '../../../../src/trading/core/decimal.js';
import { PaperVenue } from '../../../../src/trading/venues/paper/paper-venue.js';
import { instrument } from '../../../support/builders.js';
import { VENUE_OPTIONS, venueOp } from '../../../support/venue-ops.js';

/**
 * Issue 18: a compaction serialized the venue's whole state on the event loop (~0.6 s at 30,000
 * orders, the server's longest stall under `POST /orders`). With `compactOffThread` the op that
 * compacts moves the log aside and a worker thread builds the same snapshot from the files.
 * These tests count (turns of the loop, calls of the serializer), they never time.
 */
describe('PaperVenue compacting off the event loop', () => {
  const options = VENUE_OPTIONS;
  const op = venueOp;
  // Snapshots every 200 ops at the least (2,000 served): several compactions in a short run.
  const every = { compactEvery: 200 };
  const offThread = { compactOffThread: true, offThreadFromBytes: 0, ...every };
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-off-'));
    file = path.join(dir, 'venue.json');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const serialized = () => jest.spyOn(SimulatedExchange.prototype, 'snapshotJson');
  const reader = (f = file) => new PaperVenue(f, options, () => undefined);
  const files = () => readdirSync(dir).sort();
  const turn = () => new Promise<void>((r) => setImmediate(r));

  it('builds the snapshot in a worker: the loop turns and ops are taken meanwhile, and the state is never serialized on it', async () => {
    const calls = serialized();
    const venue = new PaperVenue(file, options, () => undefined, { token: 7 }, offThread);
    for (let i = 1; i <= 200; i++) op(venue, i);
    // The op that compacts moved the log aside; the snapshot is not there yet.
    expect(files()).toEqual(['venue.json.prev.log']);
    let turns = 0;
    let i = 200;
    while (!existsSync(file)) {
      await turn();
      turns++;
      if (i < 230) op(venue, ++i);
    }
    await venue.settled();
    expect(turns).toBeGreaterThan(0);
    expect(calls).not.toHaveBeenCalled();
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(200);
    expect(files()).toEqual(['venue.json', 'venue.json.log']);
    expect(reader().state()).toEqual(venue.state());
    venue.close();
  });

  it('writes a small state on the loop, and off it once the last snapshot reached offThreadFromBytes', async () => {
    const venue = new PaperVenue(file, options, () => undefined, undefined, {
      ...offThread,
      offThreadFromBytes: 1,
    });
    const calls = serialized();
    for (let i = 1; i <= 200; i++) op(venue, i);
    // No snapshot yet (0 bytes): the first is written within the op that compacts.
    expect(calls).toHaveBeenCalledTimes(1);
    expect(files()).toEqual(['venue.json', 'venue.json.log']);
    let i = 200;
    while (!existsSync(`${file}.prev.log`) && i < 2_000) op(venue, ++i);
    expect(existsSync(`${file}.prev.log`)).toBe(true);
    await venue.settled();
    expect(calls).toHaveBeenCalledTimes(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(i);
    expect(reader().state()).toEqual(venue.state());
    venue.close();
  });

  it('writes the snapshots the event loop writes, at the same ops and byte for byte', async () => {
    for (const writer of [undefined, { token: 7 }]) {
      const onLoop = path.join(dir, `loop-${writer?.token ?? 0}`, 'venue.json');
      const offLoop = path.join(dir, `off-${writer?.token ?? 0}`, 'venue.json');
      const a = new PaperVenue(onLoop, options, () => undefined, writer, every);
      const b = new PaperVenue(offLoop, options, () => undefined, writer, offThread);
      const snapshots: number[] = [];
      for (let i = 1; i <= 500; i++) {
        op(a, i);
        op(b, i);
        if (!existsSync(`${offLoop}.prev.log`)) continue;
        await b.settled();
        snapshots.push(i);
        expect([i, readFileSync(offLoop, 'utf8')]).toEqual([i, readFileSync(onLoop, 'utf8')]);
      }
      expect(snapshots.length).toBeGreaterThan(1);
      expect(snapshots[0]).toBe(200);
      expect(reader(offLoop).state()).toEqual(a.state());
      a.close();
      b.close();
    }
  });

  it('reads back the same state at every moment of a compaction', async () => {
    const venue = new PaperVenue(file, options, () => undefined, { token: 3 }, offThread);
    for (let i = 1; i <= 200; i++) op(venue, i);
    const atCompaction = venue.state();
    const moved = readFileSync(`${file}.prev.log`);
    for (let i = 201; i <= 210; i++) op(venue, i);
    // The files as each step leaves them, read by a process that starts then.
    const moment = (name: string, content: Record<string, Buffer>) => {
      const at = path.join(dir, name);
      mkdirSync(at);
      for (const [f, bytes] of Object.entries(content)) writeFileSync(path.join(at, f), bytes);
      return reader(path.join(at, 'venue.json')).state();
    };
    // Linked, not yet unlinked: the log under both names.
    expect(moment('linked', { 'venue.json.prev.log': moved, 'venue.json.log': moved })).toEqual(
      atCompaction,
    );
    expect(moment('moved', { 'venue.json.prev.log': moved })).toEqual(atCompaction);
    const live = () => ({
      'venue.json.prev.log': readFileSync(`${file}.prev.log`),
      'venue.json.log': readFileSync(`${file}.log`),
    });
    expect(moment('building', live())).toEqual(venue.state());
    const during = live();
    await venue.settled();
    // Renamed into place, the moved log not yet removed.
    const renamed = { ...during, 'venue.json': readFileSync(file) };
    expect(moment('renamed', renamed)).toEqual(venue.state());
    expect(reader().state()).toEqual(venue.state());
    venue.close();
  });

  it('compacts on the loop at the next op when the worker fails', async () => {
    const venue = new PaperVenue(file, options, () => undefined, undefined, offThread);
    // An instrument the worker cannot rebuild (makeInstrument refuses a zero tick): it throws.
    venue.setInstrument({ ...instrument({ id: 'BAD/USD' }), tickSize: toDecimal(0) });
    for (let i = 1; i <= 200; i++) op(venue, i);
    await venue.settled();
    expect(files()).toEqual(['venue.json.prev.log']);
    const calls = serialized();
    op(venue, 201);
    expect(calls).toHaveBeenCalledTimes(1);
    expect(files()).toEqual(['venue.json', 'venue.json.log']);
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(201);
    expect(reader().state()).toEqual(venue.state());
    venue.close();
  });

  it('closed mid-compaction: the worker ends, its temp file goes, and the next owner compacts what is left', async () => {
    const venue = new PaperVenue(file, options, () => undefined, undefined, offThread);
    for (let i = 1; i <= 200; i++) op(venue, i);
    venue.close();
    await venue.settled();
    expect(files()).toEqual(['venue.json.prev.log']);
    const next = new PaperVenue(file, options, () => undefined, undefined, offThread);
    expect(next.state()).toEqual(venue.state());
    const calls = serialized();
    op(next, 201);
    expect(calls).toHaveBeenCalledTimes(1); // the moved log left behind: on the loop
    expect(files()).toEqual(['venue.json', 'venue.json.log']);
    expect(reader().state()).toEqual(next.state());
    next.close();
  });

  it("a stale owner's snapshot is not put in place once a newer owner has opened the venue", async () => {
    const old = new PaperVenue(file, options, () => undefined, { token: 1 }, offThread);
    for (let i = 1; i <= 200; i++) op(old, i);
    const next = new PaperVenue(file, options, () => undefined, { token: 2 }, offThread);
    expect(next.state()).toEqual(old.state());
    await old.settled();
    expect(files()).toEqual(['venue.json.log', 'venue.json.prev.log']);
    let refused: unknown = 'sent';
    try {
      op(old, 201);
    } catch (e) {
      refused = (e as { code?: string }).code;
    }
    expect(refused).toBe('LEASE_LOST');
    op(next, 201); // the moved log left behind: compacted on the loop, under token 2
    expect(JSON.parse(readFileSync(file, 'utf8')).t).toBe(2);
    expect(files()).toEqual(['venue.json', 'venue.json.log']);
    expect(reader().state()).toEqual(next.state());
    old.close();
    next.close();
  });
});
