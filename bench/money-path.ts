// The money path of a backtest replayed in one process on two copies of the code, alternately
// (so both share the machine's load): for every fill of a report, what the run does with exact
// decimals (the order's quantity and price made and snapped, the fee, the ledger with its FIFO
// lots and round trips, the equity recorder, the average fill price), then the report's round
// trips. Prints the best CPU µs per fill of each copy and checks that both give the same cash,
// fees and round trips. Usage (a copy of main's tree with node_modules beside it as the first):
//   node --import tsx bench/money-path.ts <report.json> <main-copy> <this-tree>
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportFill } from '../src/trading/backtest/report.js';

type Module = Record<string, never>;
/* eslint-disable @typescript-eslint/no-explicit-any -- two copies of the code, typed alike */
const load = async (root: string, file: string): Promise<any> =>
  (await import(path.resolve(root, 'src/trading', file))) as Module;

const [reportFile, ...roots] = process.argv.slice(2);
if (!reportFile || roots.length === 0)
  throw new Error('usage: money-path.ts <report.json> <root>...');
const fills = (JSON.parse(readFileSync(reportFile, 'utf8')) as { fills: ReportFill[] }).fills;
const impls = await Promise.all(
  roots.map(async (root) => ({
    root,
    Dec: (await load(root, 'core/decimal.ts')).Dec,
    money: await load(root, 'core/money.ts'),
    snap: await load(root, 'model/snap.ts'),
    order: await load(root, 'model/order.ts'),
    Ledger: (await load(root, 'portfolio/ledger.ts')).Ledger,
    Recorder: (await load(root, 'backtest/equity-recorder.ts')).EquityRecorder,
    buildReport: (await load(root, 'backtest/build-report.ts')).buildReport,
  })),
);

function once(m: (typeof impls)[number]): string {
  const { Dec, money, snap, order } = m;
  const [lot, tick, rate] = [Dec('1'), Dec('0.01'), Dec('0.001')];
  const ledger = new m.Ledger({ USD: '1000000' });
  const recorder = new m.Recorder(Dec('1000000'), 16);
  const currencies = { base: 'BENCH', quote: 'USD' };
  for (const f of fills) {
    const quantity = snap.snapQuantity(money.quantity(Number(f.quantity)), lot);
    const price = snap.snapPrice(money.price(Number(f.price)), tick, 'nearest');
    const notional = price.times(quantity);
    const fill = {
      ...f,
      accountId: 'a',
      instrumentId: 'BENCH/USD',
      venue: 'SIM',
      price,
      quantity,
      fee: money.money(notional.times(rate), 'USD'),
    };
    ledger.applyFill(fill, currencies);
    recorder.onFill(ledger.cash('USD'), ledger.position('BENCH/USD').quantity);
    order.averageFillPrice({ filledQuantity: quantity, filledNotional: notional });
  }
  const run = {
    ...{ orders: [], fills: [], alerts: [], logs: [], events: 0, finalState: {}, params: {} },
    ...{ roundTrips: ledger.roundTrips, recorder, fees: ledger.fees },
    ...{ startEquity: Dec('1000000'), endEquity: ledger.cash('USD') },
  };
  const labels = { strategy: 's', instrumentId: 'BENCH/USD', dataFile: 'f', settings: {} };
  const trips = JSON.stringify(m.buildReport(run, labels).roundTrips);
  return `${ledger.cash('USD').toFixed()} ${ledger.fees.toFixed()} ${trips}`;
}

const best = new Map<string, number>();
const results = new Set<string>();
for (let round = 0; round < 8; round++) {
  for (const m of impls) {
    const t = process.cpuUsage();
    results.add(once(m));
    const c = process.cpuUsage(t);
    best.set(m.root, Math.min(best.get(m.root) ?? Infinity, (c.user + c.system) / fills.length));
  }
}
for (const [root, us] of best) console.log(`${root}: ${us.toFixed(2)} µs CPU per fill (best of 8)`);
console.log(`${fills.length} fills; the same cash, fees and round trips: ${results.size === 1}`);
