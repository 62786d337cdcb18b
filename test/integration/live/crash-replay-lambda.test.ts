import path from 'node:path';
import { lambdaClient } from '../../../src/cloud/lambda/lambda-client.js';
import { deployFunction, invokeFunction } from '../../../src/cloud/lambda/lambda-functions.js';
import { LambdaSeam } from '../../../src/cloud/lambda/lambda-seam.js';
import {
  startLocalLambda,
  type LocalLambda,
} from '../../../src/cloud/lambda/local-lambda-server.js';
import { packageStrategy } from '../../../src/system/strategy-package.js';
import type { StrategyDefinition } from '../../../src/trading/strategy/define-strategy.js';
import { resolveParams } from '../../../src/trading/strategy/params.js';
import smaCross from '../../../examples/strategies/sma-cross.js';
import bracket from '../../fixtures/strategies/bracket.js';
import { crashRig, type CrashRig } from '../../support/crash-harness.js';
import * as crash from '../../support/crash-plans.js';
import { btcBars } from '../../support/btc-bars.js';
import { btcInstrument } from '../../support/paper-args.js';
import { ROOT } from '../../support/run-cli.js';
import { freshStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * DESIGN invariant 11 for a strategy deployed as a Lambda function (invariant 1 too): the crash
 * rig of `crash-replay-order-events`, with the strategy behind a `LambdaSeam` on the local Lambda
 * endpoint (packaged as `kairos strategy deploy` does). Two strategies over BTC bars on a replay:
 * `bracket` (its orders made in `onOrderEvent`) and `sma-cross` (orders on bars, SMA state that
 * crosses the seam). The uninterrupted Lambda run must equal the uninterrupted in-process run
 * (orders, fills, cash, position, equity, the strategy's state); then each of `KAIROS_CRASH_PLANS`
 * (default 8) seeded kill plans (a kill of a kind in turn at a seeded step of that kind in the
 * uninterrupted run, then one more seeded kill in the restart), each restart with a new seam
 * (a new process), must end as both, with no `REPLAY_MISMATCH` in any run, and the strategy must
 * hear what it heard uninterrupted (its state). Not `seen`, the hash of the views it read: behind a
 * seam a view shows the host's orders as they are when the call goes out (docs/cloud.md), and
 * a replayed bar shows the strategy its orders as the first run's strategy heard them.
 */
/** `KAIROS_CRASH_PLAN=<n>` runs only plan n (a failure's number, to look at it alone). */
const { seed: SEED, plans: PLANS, only: ONLY } = crash.crashEnv(8);
const ROLE = 'arn:aws:iam::000000000000:role/kairos-strategy';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;

const SCENARIOS = [
  {
    name: 'bracket (orders from onOrderEvent)',
    tag: 'b',
    strategy: bracket as AnyStrategy,
    file: path.join(ROOT, 'test/fixtures/strategies/bracket.ts'),
    params: { size: '1', takeProfit: 0.002, stopLoss: 0.001, requoteEvery: 3 },
    cash: '1000',
    rows: 40,
  },
  {
    name: 'sma-cross 3/7 (orders on bars, indicators)',
    tag: 's',
    strategy: smaCross as AnyStrategy,
    file: path.join(ROOT, 'examples/strategies/sma-cross.ts'),
    params: { fast: 3, slow: 7, size: '100' },
    cash: '100',
    rows: 60,
  },
] as const;

describe('a crashed run whose strategy is a Lambda function ends as the uninterrupted runs', () => {
  const dir = tempDir('kairos-crash-lambda-');
  let lambda: LocalLambda;
  let client: ReturnType<typeof lambdaClient>;
  let store: Awaited<ReturnType<typeof freshStore>>;

  beforeAll(async () => {
    store = await freshStore('postgres');
    lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'work') });
    client = lambdaClient({ region: 'us-east-1', endpoint: lambda.url });
    for (const s of SCENARIOS) {
      const pkg = await packageStrategy(s.file, path.join(dir, 'build'));
      await deployFunction(client, { name: fn(s.tag), zip: pkg.zip, role: ROLE, timeoutS: 5 });
    }
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await lambda?.close();
    await store?.drop();
  });

  const fn = (tag: string) => `crash-${tag}`;

  it.each(SCENARIOS.map((s, i) => [s.name, i] as const))(
    '%s',
    async (_name, i) => {
      const s = SCENARIOS[i]!;
      const market = { bars: await btcBars(s.rows), instrument: btcInstrument(), cash: s.cash };
      const { strategy, params } = s;
      const rig = (account: string, behindLambda: boolean): CrashRig =>
        crashRig({
          store,
          account,
          strategy,
          params,
          ...market,
          ...(behindLambda
            ? {
                strategySeam: (host) =>
                  new LambdaSeam(host, {
                    params: resolveParams(strategy.params, params),
                    invoke: (p) => invokeFunction(client, fn(s.tag), 'live', p),
                    backoffMs: 1,
                    // A failed step would be skipped, not replayed: none is expected here.
                    haltAfter: 1,
                  }),
              }
            : {}),
        });

      // Invariant 1: the uninterrupted Lambda run decides as the in-process one.
      const inProcess = rig(`${s.tag}p`, false);
      const plain = await inProcess.run();
      expect(plain.finished).toBe(true);
      const want = await inProcess.outcome();
      const base = rig(`${s.tag}l`, true);
      const clean = await base.run();
      expect(clean.finished).toBe(true);
      expect(clean.alerts.filter((a) => a.code !== 'RECONCILIATION_DRIFT')).toEqual([]);
      const expected = await base.outcome();
      expect(expected).toEqual(want);
      // And hears the same events in the same order. Not `seen`, the hash of the views: behind a
      // seam a view shows the host's orders as they are when the call goes out, which may hold a
      // venue answer that the strategy hears only after that call (docs/cloud.md).
      expect(local(clean.state, ['seen'])).toBe(local(plain.state, ['seen']));
      expect(expected.orders.length).toBeGreaterThan(4);
      expect(expected.fills.length).toBeGreaterThan(4);

      // The plans: the kinds this strategy's run has, in turn, then between commit and send.
      const names = [
        ...Object.keys(crash.KINDS).filter(
          (k) => crash.stepsOf(clean.trace, crash.KINDS, k).length > 0,
        ),
        crash.BETWEEN_COMMIT_AND_SEND,
      ];
      const plans = crash.drawPlans(clean, crash.KINDS, names, SEED + i, PLANS);
      process.stdout.write(
        `crash-replay-lambda ${s.tag}: seed ${SEED + i}, ${PLANS} plans, ${clean.steps} steps, kinds ${names.length}\n`,
      );

      const failures: string[] = [];
      for (const [n, p] of plans.entries()) {
        if (ONLY !== null && n !== ONLY) continue;
        const where = crash.describePlan(n, p, clean.trace);
        const crashed = rig(`${s.tag}${n}`, true);
        const ran = await crash.runPlan(crashed, p);
        if (!ran) {
          failures.push(`${where}: not killed`);
          continue;
        }
        const { last, mismatches } = ran;
        const alerts = ran.alerts.filter((a) => a !== 'REPLAY_MISMATCH');
        const got = last.finished ? await crashed.outcome() : null;
        const differs: string[] = got ? crash.differingKeys(got, expected) : ['not finished'];
        if (alerts.length > 0 || differs.length > 0)
          failures.push(`${where}: ${alerts.join('; ')} differs: ${differs.join(', ')}`);
        // What the strategy heard (its state but `seen`, see above), and any REPLAY_MISMATCH.
        const heard: string[] = [...new Set(mismatches)];
        if (local(last.state, ['seen']) !== local(clean.state, ['seen']))
          heard.push(`state ${crash.stateDiff(last.state, clean.state, IDS)}`);
        if (heard.length > 0) failures.push(`${where}: ${heard.join('; ')}`);
      }
      expect(failures).toEqual([]);
    },
    300_000,
  );
});

/** A client order id of a run (its number in group 1). */
const IDS = /(?:bracket|sma-cross)-[a-z0-9]+-(\d+)/g;

/** A state's JSON with client order ids without their run's strategy id (and without `omit`). */
function local(state: unknown, omit: readonly string[] = []): string {
  return crash.localState(state, IDS, omit);
}
