import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { btcSlice, paperArgs } from '../support/paper-args.js';
import { runCli } from '../support/run-cli.js';
import { pgliteTemplate } from '../support/stores.js';

describe('kairos risk', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-risk-'));
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 400);
  const env = { KAIROS_HOME: home };
  const paper = (...extra: string[]) => runCli(paperArgs(data, ...extra), env);
  /** Stored orders by status. */
  async function statuses(): Promise<Record<string, number>> {
    const store = await openStore({ ...pgliteTemplate(), dataDir: path.join(home, 'db') });
    const rows = await store.db.selectFrom('orders').select('status').execute();
    await store.close();
    const out: Record<string, number> = {};
    for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
    return out;
  }

  it('refuses a bad limit with a message naming it', () => {
    const r = runCli(['risk', 'limit', 'maxPositon', '1'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/limit "maxPositon": unknown/);
  });

  it('halts a paper node from the store, and resumes it', async () => {
    expect(runCli(['risk', 'halt', '--reason', 'test', '--actor', 'rita'], env).code).toBe(0);
    const shown = runCli(['risk', 'show'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ states: { global: 'HALTED' } });
    const halted = paper();
    expect(halted.code).toBe(0);
    // Every order the strategy made was denied at the gate; none reached the venue.
    const denied = await statuses();
    expect(Object.keys(denied)).toEqual(['DENIED']);

    expect(runCli(['risk', 'resume', '--actor', 'rita'], env).code).toBe(0);
    // The same replay on a fresh account and strategy id (the halted run's snapshot is done).
    const resumed = paper('--account', 'second', '--strategy-id', 'second');
    expect(resumed.code).toBe(0);
    expect((await statuses()).FILLED).toBeGreaterThan(0);
  }, 120_000);
});
