// Issue #13 benchmark: the cost of running a strategy as a Lambda function through the local
// endpoint (`kairos lambda serve`): invocation overhead per step (p50/p99) and sma-cross on ORCL
// bars in-process (the backtest) vs through Lambda (every bar one stateless step).
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lambdaClient } from '../src/cloud/lambda/lambda-client.js';
import { deployFunction, invokeFunction } from '../src/cloud/lambda/lambda-functions.js';
import { LambdaStepper } from '../src/cloud/lambda/lambda-stepper.js';
import { startLocalLambda } from '../src/cloud/lambda/local-lambda-server.js';
import { loadStrategy } from '../src/system/load-strategy.js';
import { packageStrategy } from '../src/system/strategy-package.js';
import { BacktestEngine } from '../src/trading/backtest/backtest-engine.js';
import type { Bar } from '../src/trading/data/market-data.js';
import { makeInstrument } from '../src/trading/model/instrument.js';
import { openBars } from '../src/trading/venues/replay/open-data.js';

const ORCL = ['../shared/data', '/work/shared/data']
  .map((d) => path.resolve(d, 'backtrader/orcl-1995-2014.txt'))
  .find((f) => existsSync(f))!;
const SMA = 'examples/strategies/sma-cross.ts';
const params = { fast: 10, slow: 30, size: '100' };
const inst = makeInstrument({
  id: 'ORCL',
  base: 'ORCL',
  quote: 'USD',
  tickSize: '0.01',
  lotSize: '1',
});
const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-bench-lambda-'));

const bars: Bar[] = [];
for await (const batch of openBars(ORCL, { instrumentId: inst.id })) bars.push(...batch);

// In-process: the backtest itself.
const strategy = await loadStrategy(SMA, path.join(dir, 'build'));
let t0 = performance.now();
async function* feed() {
  yield bars;
}
await new BacktestEngine({ instrument: inst, strategy, cash: '100000', params }).runBars(feed());
const inProcessSeconds = (performance.now() - t0) / 1000;

// Through Lambda: each bar one invocation (start, then bars), the host keeping the state.
const lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'work') });
const client = lambdaClient({ region: 'us-east-1', endpoint: lambda.url });
const pkg = await packageStrategy(SMA, path.join(dir, 'build'));
await deployFunction(client, {
  name: 'sma',
  zip: pkg.zip,
  role: 'arn:aws:iam::000000000000:role/x',
});
const stepper = new LambdaStepper({
  strategyId: 'sma',
  instrument: inst,
  params,
  invoke: (p) => invokeFunction(client, 'sma', 'live', p),
});
const view = (ts: number) => ({
  ts,
  position: { quantity: '0', lots: [], realizedPnl: '0', fees: '0', openedAt: null },
  cash: { USD: '100000', ORCL: '0' },
  orders: [],
});
await stepper.transport(
  JSON.stringify({
    kind: 'start',
    start: { state: null, ordersMade: 0, random: 1 },
    view: view(0),
  }),
);
const steps: number[] = [];
t0 = performance.now();
for (const bar of bars) {
  const s = performance.now();
  await stepper.transport(JSON.stringify({ kind: 'bar', bar, view: view(bar.closeTime) }));
  steps.push(performance.now() - s);
}
const lambdaSeconds = (performance.now() - t0) / 1000;
client.destroy();
await lambda.close();

steps.sort((a, b) => a - b);
const pct = (p: number) =>
  Number(steps[Math.min(steps.length - 1, Math.floor(p * steps.length))]!.toFixed(2));
export const lambdaResults = {
  bars: bars.length,
  stepMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
  inProcessBarsPerSecond: Math.round(bars.length / inProcessSeconds),
  lambdaBarsPerSecond: Math.round(bars.length / lambdaSeconds),
};
process.stdout.write(
  `Lambda (local endpoint): step p50 ${lambdaResults.stepMs.p50} ms, p99 ${lambdaResults.stepMs.p99} ms; ` +
    `sma-cross on ORCL ${lambdaResults.inProcessBarsPerSecond.toLocaleString('en-US')} bars/s in-process, ` +
    `${lambdaResults.lambdaBarsPerSecond.toLocaleString('en-US')} bars/s through Lambda\n`,
);
