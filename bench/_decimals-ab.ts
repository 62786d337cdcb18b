// A/B of the money path's fast decimals (`core/scaled-decimal.ts`) in one process: two or more
// copies of the code, alternately, 30 rounds each, on the values of a fill of the benchmark's
// `sma-cross` run (a price from a number, its notional and fee, the cash and the fee total), six
// decimals made per fill. Prints the median and the best CPU ns per fill of each copy. A copy is a
// tree under this one, so it resolves the same node_modules:
//   git archive main src | tar -x -C var/ab-base
//   node --import tsx bench/_decimals-ab.ts var/ab-base .
import path from 'node:path';
import type * as DecimalModule from '../src/trading/core/decimal.js';
import type * as ScaledDecimal from '../src/trading/core/scaled-decimal.js';

const roots = process.argv.slice(2);
if (roots.length === 0) throw new Error('usage: _decimals-ab.ts <root>...');
const copies = await Promise.all(
  roots.map(async (root) => ({
    root,
    fast: (await import(
      path.resolve(root, 'src/trading/core/scaled-decimal.ts')
    )) as typeof ScaledDecimal,
    dec: (await import(path.resolve(root, 'src/trading/core/decimal.ts'))) as typeof DecimalModule,
  })),
);

// A random-walk price on a 0.01 grid around 1,000, as the benchmark's bars.
const prices: number[] = [];
let p = 1000;
for (let i = 0; i < 4000; i++) {
  p = Math.round((p + (i % 7) - 3 + 0.01 * (i % 13)) * 100) / 100;
  prices.push(p);
}

function run({ fast, dec }: (typeof copies)[number]): number {
  const qty = dec.Dec('10');
  const rate = dec.Dec('0.001');
  let cash = dec.Dec('1000000');
  let fees = dec.Dec('0');
  const t0 = process.cpuUsage();
  for (let rep = 0; rep < 10; rep++)
    for (let i = 0; i < prices.length; i++) {
      const price = fast.decimalOf(prices[i]!);
      const notional = fast.multiplyDecimals(price, qty);
      const fee = fast.multiplyDecimals(notional, rate);
      cash = i % 2 ? fast.addDecimals(cash, notional) : fast.subtractDecimals(cash, notional);
      cash = fast.subtractDecimals(cash, fee);
      fees = fast.addDecimals(fees, fee);
    }
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / (10 * prices.length);
}

const results: number[][] = copies.map(() => []);
for (let r = 0; r < 30; r++) copies.forEach((c, i) => results[i]!.push(run(c)));
const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
copies.forEach((c, i) =>
  process.stdout.write(
    `${c.root}: median ${median(results[i]!).toFixed(0)} ns, best ${Math.min(...results[i]!).toFixed(0)} ns CPU per fill (six decimals)\n`,
  ),
);
