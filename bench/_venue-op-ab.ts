// The paper venue's CPU a submit (the op applied, its line written, its reports delivered to a
// no-op), two source trees in one process, in turns (A B A B …), each venue on a file of its own
// under var/: resting limit buys, as `POST /orders` sends them, no compaction. `node --import tsx bench/_venue-op-ab.ts var/ab-base var/ab-br [rounds]`
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type * as Paper from '../src/trading/venues/paper/paper-venue.js';
import { instrument, submittedOrder } from '../test/support/builders.js';
import { price } from '../src/trading/core/money.js';

const [a = 'var/ab-base', b = '.', rounds = '6'] = process.argv.slice(2);
const OPS = 5_000;
const inst = instrument();
const dir = mkdtempSync(path.resolve('var/venue-op-ab-'));
let n = 0;
async function venueOf(root: string, name: string): Promise<Paper.PaperVenue> {
  const { PaperVenue } = (await import(
    path.resolve(root, 'src/trading/venues/paper/paper-venue.ts')
  )) as typeof Paper;
  return new PaperVenue(
    path.join(dir, `${name}.json`),
    { venue: 'PAPER', instruments: [inst] },
    () => undefined,
    { token: 1 },
    // No compaction: the op alone (the same in both trees, and its cost grows with the state).
    { compactEvery: Number.MAX_SAFE_INTEGER },
  );
}
const venues = [await venueOf(a, 'a'), await venueOf(b, 'b')];
const orders = Array.from({ length: 200 }, (_, i) =>
  submittedOrder(
    { instrumentId: inst.id, type: 'LIMIT', price: price('0.5'), tag: `t${i}` },
    `api-u1-${i}`,
  ),
);
const run = (v: Paper.PaperVenue, k: number) => {
  for (let i = 0; i < k; i++) {
    const o = orders[i % orders.length]!;
    v.submit({ ...o, clientOrderId: `api-u1-${++n}` }, n);
  }
};
for (const v of venues) run(v, OPS);
const us: [number[], number[]] = [[], []];
for (let r = 0; r < Number(rounds); r++) {
  for (const i of [0, 1] as const) {
    const t = process.cpuUsage();
    run(venues[i]!, OPS);
    const u = process.cpuUsage(t);
    us[i].push(+((u.user + u.system) / OPS).toFixed(2));
  }
}
for (const v of venues) v.close();
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : +((s[m - 1]! + s[m]!) / 2).toFixed(2);
};
process.stdout.write(
  `${JSON.stringify({ aUsPerOp: us[0], bUsPerOp: us[1], medians: [median(us[0]), median(us[1])] })}\n`,
);
