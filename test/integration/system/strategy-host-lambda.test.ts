import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lambdaClient } from '../../../src/cloud/lambda/lambda-client.js';
import { deployFunction } from '../../../src/cloud/lambda/lambda-functions.js';
import {
  startLocalLambda,
  type LocalLambda,
} from '../../../src/cloud/lambda/local-lambda-server.js';
import type { Store } from '../../../src/store/open-store.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { RiskRepository } from '../../../src/store/risk-repository.js';
import { loadConfig } from '../../../src/system/config.js';
import { deployDescription } from '../../../src/cloud/lambda/strategy-manifest.js';
import { LambdaStrategies } from '../../../src/system/lambda-strategy.js';
import { packageStrategy } from '../../../src/system/strategy-package.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import type { StrategySnapshotStore } from '../../../src/trading/live/strategy-snapshot-store.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Order } from '../../../src/trading/model/order.js';
import { openBars } from '../../../src/trading/venues/replay/open-data.js';
import { btcInstrument, btcSlice } from '../../support/paper-args.js';
import { addToCatalog, addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import {
  bootStrategyHost,
  EARLY_BIRD,
  expireBid,
  FILL_HEARER,
  heldEventsRead,
  heldSave,
  OPEN_COUNTER,
  orderOutcome,
} from '../../support/strategy-host-rig.js';
import { tempDir } from '../../support/temp-dir.js';

const by = { actor: 'user:q', role: 'quant' };
const PARAMS = { fast: 2, slow: 4, size: '1' };

/** An order as the venue and the books see it, its client order id without the strategy id. */
const outcome = (o: Order) => ({
  n: Number(o.clientOrderId.split('-').at(-1)),
  side: o.side,
  type: o.type,
  price: o.price?.toFixed() ?? null,
  quantity: o.quantity.toFixed(),
  status: o.status,
  filled: o.filledQuantity.toFixed(),
  at: o.createdAt,
});

/**
 * The API's strategy host with an instance started as `runtime: lambda`: through the real
 * `@aws-sdk/client-lambda` and the local Lambda endpoint, it makes exactly the orders the same
 * strategy makes in-process on the same bars, also across a restart (resumed through its function).
 */
describe('strategy host: a strategy started with runtime lambda trades as in-process', () => {
  let lambda: LocalLambda;
  let dir: string;
  let bars: Bar[];
  const inst = btcInstrument();
  const stores: Awaited<ReturnType<typeof anyStore>>[] = [];

  beforeAll(async () => {
    dir = tempDir('kairos-host-lambda-');
    lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'lambda') });
    const file = addToCatalog(
      path.join(dir, 'strategies'),
      'examples/strategies/sma-cross.ts',
      'sma-cross',
    );
    const client = lambdaClient({ region: 'us-east-1', endpoint: lambda.url });
    /** Packages the catalog's `file` and deploys it as function `name`. */
    const deploy = async (name: string, file: string) => {
      const pkg = await packageStrategy(file, path.join(dir, `build-${name}`));
      await deployFunction(client, {
        name,
        zip: pkg.zip,
        role: 'arn:aws:iam::000000000000:role/kairos-strategy',
        timeoutS: 5,
        description: deployDescription(
          pkg.manifest.strategy,
          pkg.zipSha256,
          pkg.manifest.sdkVersion,
        ),
      });
    };
    await deploy('sma-cross', file);
    // Strategies that keep every order event they hear in their state, as functions too.
    for (const [name, source] of [
      ['fill-hearer', FILL_HEARER],
      ['open-counter', OPEN_COUNTER],
      ['early-bird', EARLY_BIRD],
    ] as const) {
      const file = path.join(dir, 'strategies', `${name}.ts`);
      writeFileSync(file, source);
      await deploy(name, file);
    }
    client.destroy();
    bars = [];
    for await (const batch of openBars(btcSlice(path.join(dir, 'bars.json'), 240), {
      instrumentId: inst.id,
    }))
      bars.push(...batch);
  }, 120_000);
  afterAll(async () => {
    for (const s of stores) await s.drop();
    await lambda?.close();
  });

  /** What `kairos serve` builds on `store`: the core on a paper venue, the host with Lambda. */
  async function boot(
    store: Store,
    name: string,
    more: { snapshots?: StrategySnapshotStore; onAlert?: (a: Alert) => void } = {},
    orders?: (repo: OrderRepository) => OrderRepository,
  ) {
    const config = loadConfig({ KAIROS_HOME: dir, AWS_ENDPOINT_URL_LAMBDA: lambda.url });
    const risk = new RiskRepository(store.db);
    const lambdas = new LambdaStrategies(config, (strategyId, reason) =>
      risk.setState({ strategyId }, 'HALTED', reason, 'lambda', Date.now()),
    );
    const { core, host, play } = await bootStrategyHost({
      store,
      dir,
      venue: `${name}-venue`,
      instrument: inst,
      cash: { X: '1000' },
      host: { lambda: lambdas, ...more },
      ...(orders ? { orders } : {}),
    });
    const stop = () => {
      host.halt();
      lambdas.close();
    };
    return { core, host, play, stop };
  }

  /** A new store (`anyStore`). */
  async function fresh(): Promise<Store> {
    const s = await anyStore();
    stores.push(s);
    return s;
  }

  it('the same orders as in-process on the same bars, across a restart; the view says lambda and the version', async () => {
    const plainStore = await fresh();
    const plain = await boot(plainStore, 'plain');
    const owner1 = await addUser(plainStore.db, 'quinn', 'quant');
    const a = await plain.host.start(owner1, { name: 'sma-cross', params: PARAMS }, by);
    expect(a).toMatchObject({ runtime: 'in-process', lambda: null });
    await plain.play(bars);
    // The store's: the OMS holds only the open and recently closed orders.
    const expected = (
      await new OrderRepository(plainStore.db, 'desk').page(a.id, { limit: 1000 })
    ).orders
      .map(outcome)
      .sort((x, y) => x.n - y.n);
    expect(expected.length).toBeGreaterThan(4);
    plain.stop();

    const store = await fresh();
    const owner2 = await addUser(store.db, 'quinn', 'quant');
    const first = await boot(store, 'lambda');
    const b = await first.host.start(
      owner2,
      { name: 'sma-cross', params: PARAMS, runtime: 'lambda' },
      by,
    );
    expect(b).toMatchObject({
      runtime: 'lambda',
      lambda: { function: 'sma-cross', qualifier: 'live', version: '1' },
    });
    await first.play(bars.slice(0, 120));
    first.stop();

    // A restart resumes it through its function, from its last snapshot.
    const second = await boot(store, 'lambda');
    expect(await second.host.resume()).toBe(1);
    expect(await second.host.state(owner2, b.id)).toMatchObject({
      status: 'running',
      runtime: 'lambda',
      lambda: { function: 'sma-cross', qualifier: 'live', version: '1' },
    });
    await second.play(bars.slice(120));
    const made = (await new OrderRepository(store.db, 'desk').page(b.id, { limit: 1000 })).orders;
    second.stop();
    const got = made.map(outcome).sort((x, y) => x.n - y.n);
    expect(got).toEqual(expected);
  }, 180_000);

  /**
   * `strategy` as a function on `some` bars, on a store of its own: never stopped (null), or
   * stopped in bar `at`, which reached the core (`fills`: its fills committed, the strategy never
   * heard it) or the strategy too (`save`: its orders sent, its snapshot's save never ended), then
   * resumed by a new host on a replay from the first bar. Its orders, last saved state, and alerts.
   */
  let runs = 0;
  const run = async (
    strategy: string,
    stop: { at: number; killed: 'fills' | 'save' } | null,
    some: readonly Bar[],
  ): Promise<string[]> => {
    const store = await fresh();
    const owner = await addUser(store.db, 'quinn', 'quant');
    const saved = new StrategySnapshotRepository(store.db, 'desk');
    const alerts: string[] = [];
    const onAlert = (a: Alert) => alerts.push(`${a.code} ${a.message}`);
    // Each run its own paper venue file.
    const name = `${strategy}-${runs++}`;
    const { snapshots, inSave } = heldSave(
      saved,
      stop?.killed === 'save' ? some[stop.at]!.closeTime : null,
    );
    const first = await boot(store, name, { snapshots, onAlert });
    const s = await first.host.start(owner, { name: strategy, runtime: 'lambda' }, by);
    await first.play(stop === null ? some : some.slice(0, stop.at));
    if (stop !== null) {
      first.core.onBar(some[stop.at]!);
      if (stop.killed === 'save') {
        void first.host.onBar(some[stop.at]!);
        await inSave;
      }
      await first.core.settle();
      await first.core.journal.committed();
    }
    first.stop();
    if (stop !== null) {
      const second = await boot(store, name, { onAlert });
      expect(await second.host.resume()).toBe(1);
      await second.play(some);
      second.stop();
    }
    const { orders } = await new OrderRepository(store.db, 'desk').page(s.id, { limit: 500 });
    const { state } = (await saved.latest(s.id))!;
    return [...orders.map(orderOutcome).sort(), JSON.stringify(state), ...alerts];
  };

  it("killed between a bar's fills and its snapshot, it is told the events it had not heard at its snapshot, once", async () => {
    const some = bars.slice(0, 24);
    const never = await run('fill-hearer', null, some);
    expect(never.join('\n')).toContain('OrderFilled');
    for (const at of [4, 8])
      expect([at, await run('fill-hearer', { at, killed: 'fills' }, some)]).toEqual([at, never]);
  }, 180_000);

  it("killed after a bar's orders were sent, before its snapshot was saved: the orders, state and alerts of the run never stopped", async () => {
    const some = bars.slice(0, 12);
    const never = await run('fill-hearer', null, some);
    // At bars that buy (3) and sell (4).
    for (const at of [3, 4])
      expect([at, await run('fill-hearer', { at, killed: 'save' }, some)]).toEqual([at, never]);
    // The replayed bar does not see the orders it made before the kill until it makes them
    // again, and sees a bid it had cancelled open until it cancels it again.
    const bids = await run('open-counter', null, some);
    expect(bids.join('\n')).toContain('CANCELED');
    for (const at of [2, 3])
      expect([at, await run('open-counter', { at, killed: 'save' }, some)]).toEqual([at, bids]);
  }, 180_000);

  it('an event that comes while it resumes is heard after the events it is told from the store, behind the seam too', async () => {
    const store = await fresh();
    const owner = await addUser(store.db, 'quinn', 'quant');
    const name = `early-bird-${runs++}`;
    const first = await boot(store, name);
    const { id } = await first.host.start(owner, { name: 'early-bird', runtime: 'lambda' }, by);
    await first.play(bars.slice(0, 1));
    // Killed after bar 1 filled the buy (stored), before the strategy heard it.
    first.core.onBar(bars[1]!);
    await first.core.settle();
    await first.core.journal.committed();
    first.stop();
    // The venue expires the bid while the resume reads the store.
    const held = heldEventsRead();
    const second = await boot(store, name, {}, held.orders);
    const resumed = second.host.resume();
    await held.reading;
    expireBid(second.core, id, bars[1]!.closeTime + 1);
    held.go();
    expect(await resumed).toBe(1);
    await second.play(bars.slice(0, 3));
    second.stop();
    const { state } = (await new StrategySnapshotRepository(store.db, 'desk').latest(id))!;
    expect((state as { heard: string[] }).heard.slice(-2)).toEqual([
      'OrderFilled 1',
      'OrderExpired 2',
    ]);
  }, 180_000);
});
