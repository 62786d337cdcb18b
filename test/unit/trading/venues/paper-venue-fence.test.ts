import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PaperVenue } from '../../../../src/trading/venues/paper/paper-venue.js';
import { bar, instrument, submittedOrder } from '../../../support/builders.js';

/**
 * Found by the failover scenario (issue 16): the paper venue file of an account is written by
 * its owner; an owner that lost its lease (paused, or starved past the TTL) still appended its
 * bars to it for a moment after the new owner had opened it. Each writer numbered its ops from
 * its own count, so a stale op took the number of the new owner's next one, and every later
 * reader skipped the new owner's op as already applied: an acknowledged order vanished from the
 * venue. A writer now fences the file with its lease's token.
 */
describe('PaperVenue fenced by the lease token', () => {
  const inst = instrument();
  const options = { venue: 'PAPER', instruments: [inst] };
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-fence-'));
    file = path.join(dir, 'venue.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const limitBuy = (id: string) =>
    submittedOrder({ instrumentId: inst.id, type: 'LIMIT', price: '1' as never }, id);
  const reader = () => new PaperVenue(file, options, () => undefined);
  const ids = (v: PaperVenue) => v.state().reports.map((r) => r.clientOrderId);

  it("a stale owner's late op neither voids the new owner's next op nor reaches the record", async () => {
    const old = new PaperVenue(file, options, () => undefined, { token: 1 });
    old.onBar(bar(100, 100, 100, 100, 0));
    old.submit(limitBuy('before'), 1);
    // The next owner takes the lease and opens the venue; the old one, not knowing yet, goes on.
    const next = new PaperVenue(file, options, () => undefined, { token: 2 });
    old.onBar(bar(100, 100, 100, 100, 60_000));
    old.submit(limitBuy('stale'), 2);
    next.submit(limitBuy('acknowledged'), 3);
    next.onBar(bar(100, 100, 100, 100, 120_000));

    const later = reader();
    expect(ids(later).sort()).toEqual(['acknowledged', 'before']);
    expect(later.state()).toEqual(next.state());
    expect(await later.orderByClientId('stale')).toBeNull();
  });

  it('a fence outlives a snapshot, and a stale owner never compacts over a newer one', () => {
    const old = new PaperVenue(file, options, () => undefined, { token: 1 });
    // One op short of a snapshot (every 2,000 ops) when the next owner opens it.
    for (let i = 0; i < 1_999; i++) old.onBar(bar(100, 100, 100, 100, i * 60_000));
    const next = new PaperVenue(file, options, () => undefined, { token: 2 });
    let refused: unknown;
    try {
      old.submit(limitBuy('stale'), 1);
    } catch (e) {
      refused = e;
    }
    expect((refused as { code?: string }).code).toBe('LEASE_LOST');
    old.onBar(bar(100, 100, 100, 100, 5_000 * 60_000)); // dropped, not compacted
    next.submit(limitBuy('kept'), 2); // the snapshot, with its token
    expect(JSON.parse(readFileSync(file, 'utf8')).t).toBe(2);
    old.onBar(bar(100, 100, 100, 100, 6_000 * 60_000)); // the log is empty: the snapshot fences
    expect(ids(reader())).toEqual(['kept']);
    expect(reader().state()).toEqual(next.state());

    const late = new PaperVenue(file, options, () => undefined, { token: 1 });
    late.submit(limitBuy('late'), 3);
    expect(ids(reader())).toEqual(['kept']);
  });

  // A compaction reads the files back for a newer fence only when they may hold another
  // writer's lines: after this writer's own compaction it checks that the snapshot is the file it
  // renamed there and the log holds only its appends. Each way a newer owner shows is still found.
  describe('after its own compaction, a writer still finds a newer owner', () => {
    const compacted = () => {
      const old = new PaperVenue(file, options, () => undefined, { token: 1 });
      for (let i = 0; i < 2_000; i++) old.onBar(bar(100, 100, 100, 100, i * 60_000));
      expect(readFileSync(`${file}.log`, 'utf8')).toBe(''); // compacted: the log starts again
      // One op short of its next compaction.
      for (let i = 2_000; i < 3_999; i++) old.onBar(bar(100, 100, 100, 100, i * 60_000));
      return old;
    };
    const refusal = (old: PaperVenue) => {
      try {
        old.submit(limitBuy('stale'), 1);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'sent';
    };

    it('its fence in the log', () => {
      const old = compacted();
      new PaperVenue(file, options, () => undefined, { token: 2 });
      expect(refusal(old)).toBe('LEASE_LOST');
    });

    it('its snapshot, with a log as long as this writer left it', () => {
      const old = compacted();
      const log = readFileSync(`${file}.log`);
      // A newer owner's compaction: its snapshot renamed into place, then the log rewritten
      // (here to the very bytes this writer left, so only the snapshot tells).
      const snap = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(`${file}.tmp`, JSON.stringify({ ...snap, t: 2 }));
      renameSync(`${file}.tmp`, file);
      writeFileSync(`${file}.log`, log);
      expect(refusal(old)).toBe('LEASE_LOST');
    });

    it('and none: it compacts without reading them back', () => {
      const old = compacted();
      expect(refusal(old)).toBe('sent');
      expect(readFileSync(`${file}.log`, 'utf8')).toBe('');
      expect(ids(reader())).toEqual(['stale']);
    });
  });

  it('a writer with no token keeps the fence it found (one instance after several)', () => {
    new PaperVenue(file, options, () => undefined, { token: 3 }).submit(limitBuy('a'), 1);
    const alone = reader();
    alone.submit(limitBuy('b'), 2);
    expect(ids(reader()).sort()).toEqual(['a', 'b']);
  });

  it('with no writer at all, the file is as it always was (no token on any line)', () => {
    const v = reader();
    v.submit(limitBuy('a'), 1);
    expect(readFileSync(`${file}.log`, 'utf8')).not.toContain('"t"');
    expect(ids(reader())).toEqual(['a']);
  });
});

describe('PaperVenue op log', () => {
  const inst = instrument();
  const options = { venue: 'PAPER', instruments: [inst] };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds each op before its reports are delivered, through compactions and another writer appending', () => {
    const file = path.join(dir, 'venue.json');
    const seen: string[] = [];
    const checkAt = new Set(['o-1', 'o-2', 'o-1999', 'o-2000', 'o-2001', 'o-2002', 'o-2600']);
    const venue = new PaperVenue(
      file,
      options,
      (e) => {
        // Delivered: a reader opening the files now finds the order (write before answer).
        if (e.kind !== 'OrderAccepted' || !checkAt.has(e.clientOrderId)) return;
        const reader = new PaperVenue(file, options, () => undefined);
        seen.push(
          ...reader
            .state()
            .reports.slice(-1)
            .map((r) => r.clientOrderId),
        );
      },
      { token: 1 },
    );
    for (let i = 1; i <= 2_600; i++) {
      // Another process appends to the same log meanwhile (a fence of the same token).
      if (i === 2_300) appendFileSync(`${file}.log`, `${JSON.stringify({ op: 'fence', t: 1 })}\n`);
      venue.submit(
        submittedOrder({ instrumentId: inst.id, type: 'LIMIT', price: '1' as never }, `o-${i}`),
        i,
      );
    }
    expect(seen).toEqual([...checkAt]);
    // The log after the compaction starts at its beginning: whole lines, no gap where the
    // truncated log used to end.
    const log = readFileSync(`${file}.log`, 'utf8');
    expect(log).not.toContain('\u0000');
    expect(log.split('\n').filter(Boolean).length).toBeLessThan(2_600);
    expect(new PaperVenue(file, options, () => undefined).state()).toEqual(venue.state());
  });
});
