import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { jest } from '@jest/globals';
import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import type { RestorableOrders } from '../../../src/trading/execution/order-store.js';
import { openBars } from '../../../src/trading/venues/replay/open-data.js';
import { btcInstrument, btcSlice } from '../../support/paper-args.js';
import { addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import { bootStrategyHost, orderOutcome, REREADER } from '../../support/strategy-host-rig.js';

const by = { actor: 'user:q', role: 'quant' };

describe('a strategy on a server account reads an order closed within the window after a restart (invariant 11)', () => {
  let dir: string;
  let bars: Bar[];
  const inst = btcInstrument();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-host-window-'));
    bars = [];
    for await (const batch of openBars(btcSlice(path.join(dir, 'bars.json'), 30), {
      instrumentId: inst.id,
    }))
      bars.push(...batch);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restarted between bars: the same ctx.order reads and trades as the run never stopped, and none past the window', async () => {
    const run = async (restartAt: number | null, name: string) => {
      const on = await anyStore();
      const home = path.join(dir, name);
      try {
        mkdirSync(path.join(home, 'strategies'), { recursive: true });
        writeFileSync(path.join(home, 'strategies', 'rereader.ts'), REREADER);
        const user = await addUser(on.db, 'quinn', 'quant');
        const boot = () =>
          bootStrategyHost({
            store: on,
            dir: home,
            venue: 'venue',
            instrument: inst,
            cash: { X: '1000000' },
            serverCore: true,
          });
        const first = await boot();
        const s = await first.host.start(user, { name: 'rereader' }, by);
        await first.play(restartAt === null ? bars : bars.slice(0, restartAt));
        first.host.halt();
        first.close();
        let restart = { read: 0, held: 0 };
        if (restartAt !== null) {
          // Only the window is read and restored, not every finished order (the paper core's
          // clock starts anew): what the store returned at start-up, and what the core holds.
          const spy = jest.spyOn(OrderRepository.prototype, 'restorable');
          const second = await boot();
          const [restored] = spy.mock.results.map((r) => r.value as Promise<RestorableOrders>);
          spy.mockRestore();
          const { open, made, closed } = await restored!;
          const read = new Set([...open, ...made, ...closed].map((o) => o.clientOrderId)).size;
          restart = { read, held: second.core.memory.orders };
          expect(await second.host.resume()).toBe(1);
          await second.play(bars.slice(restartAt));
          second.host.halt();
          second.close();
        }
        const { state } = (await new StrategySnapshotRepository(on.db, 'desk').latest(s.id))!;
        const { orders } = await new OrderRepository(on.db, 'desk').page(s.id, { limit: 50 });
        const outcome = {
          reads: (state as { reads: string[] }).reads,
          orders: orders.map(orderOutcome),
        };
        return { outcome, restart };
      } finally {
        await on.drop();
      }
    };
    const { outcome: never } = await run(null, 'never');
    // Filled at once, read within the window, then no more (the OMS let it go).
    expect(never.reads.slice(0, 3)).toEqual(['0 none', '1 FILLED', '2 FILLED']);
    expect(never.reads.at(-1)).toBe(`${bars.length - 1} -`);
    // At bar 3 the first order (closed within the window) comes back; at bar 8 only the second
    // (bought at bar 5), the first closed before the window.
    for (const at of [3, 8]) {
      const { outcome, restart } = await run(at, `restarted-${at}`);
      expect({ at, ...outcome, ...restart }).toEqual({ at, ...never, read: 1, held: 1 });
    }
  }, 120_000);
});
