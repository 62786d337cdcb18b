import { existsSync } from 'node:fs';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { btcSlice, paperArgs } from '../support/paper-args.js';
import { runCli } from '../support/run-cli.js';
import { pgliteFolderTemplate } from '../support/stores.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos risk', () => {
  const dir = tempDir('kairos-risk-');
  const home = path.join(dir, 'home');
  // 100 bars: sma-cross makes 14 orders on them (13 fills when not halted).
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 100);
  const env = { KAIROS_HOME: home };
  const paper = (...extra: string[]) => runCli(paperArgs(data, ...extra), env);
  /** Stored orders by account, then status. */
  async function statuses(): Promise<Record<string, Record<string, number>>> {
    const store = await openStore({ ...pgliteFolderTemplate(), dataDir: path.join(home, 'db') });
    const rows = await store.db.selectFrom('orders').select(['account_id', 'status']).execute();
    await store.close();
    const out: Record<string, Record<string, number>> = {};
    for (const r of rows) {
      const of = (out[r.account_id] ??= {});
      of[r.status] = (of[r.status] ?? 0) + 1;
    }
    return out;
  }

  it('refuses a bad limit with a message naming it', () => {
    const r = runCli(['risk', 'limit', 'maxPositon', '1'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/limit "maxPositon": unknown/);
    // Refused before the store opened (none was made): a typo costs no database start, and is
    // refused even while a `kairos serve` holds the store.
    expect(existsSync(path.join(home, 'db'))).toBe(false);
  });

  it('halts a paper node from the store, and resumes it', async () => {
    expect(runCli(['risk', 'halt', '--reason', 'test', '--actor', 'rita'], env).code).toBe(0);
    const shown = runCli(['risk', 'show'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ states: { global: 'HALTED' } });
    const halted = paper();
    expect(halted.code).toBe(0);

    expect(runCli(['risk', 'resume', '--actor', 'rita'], env).code).toBe(0);
    // The same replay on a fresh account and strategy id (the halted run's snapshot is done).
    const resumed = paper('--account', 'second', '--strategy-id', 'second');
    expect(resumed.code).toBe(0);
    // One look at the store for both runs. Every order the halted run (the default account,
    // paper) made was denied at the gate, none reached the venue; the resumed run's filled.
    const stored = await statuses();
    expect(Object.keys(stored).sort()).toEqual(['paper', 'second']);
    expect(Object.keys(stored.paper!)).toEqual(['DENIED']);
    expect(stored.second!.FILLED).toBeGreaterThan(0);
  }, 120_000);
});
