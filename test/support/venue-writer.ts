// A process that writes a paper venue compacting off its event loop: `venueOp` 1..<last>, one
// op a turn of the loop, going on from the last op its files hold. Prints `ack <i>` once op i
// has returned (recorded), and `done` after the last op; then waits for a compaction in progress
// and closes the venue, unless its third argument is `leave`. Killed and started again by
// test/integration/system/paper-venue-compaction-kill.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';
import { VENUE_OPTIONS, venueOp } from './venue-ops.js';

const [file, lastArg, mode] = process.argv.slice(2) as [string, string, string | undefined];
const last = Number(lastArg);

/** The last op the files hold: the snapshot's, or a later logged one. */
function lastOp(): number {
  let seq = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { seq: number }).seq : 0;
  for (const log of [`${file}.prev.log`, `${file}.log`]) {
    if (!existsSync(log)) continue;
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      try {
        seq = Math.max(seq, (JSON.parse(line) as { seq?: number }).seq ?? 0);
      } catch {
        // an empty line, or a last line cut short
      }
    }
  }
  return seq;
}

// A snapshot every 200 ops at the least (2,000 served): several compactions in a short run.
const venue = new PaperVenue(file, VENUE_OPTIONS, () => undefined, undefined, {
  compactOffThread: true,
  offThreadFromBytes: 0,
  compactEvery: 200,
});
for (let i = lastOp() + 1; i <= last; i++) {
  venueOp(venue, i);
  process.stdout.write(`ack ${i}\n`);
  await new Promise((r) => setImmediate(r));
}
process.stdout.write('done\n');
// `leave`: ends here, neither waiting for a compaction in progress nor closing the venue.
if (mode !== 'leave') {
  await venue.settled();
  venue.close();
}
