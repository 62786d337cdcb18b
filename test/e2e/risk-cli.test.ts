import { existsSync } from 'node:fs';
import path from 'node:path';
import { btcSlice, paperArgs } from '../support/paper-args.js';
import { runCli } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos risk', () => {
  const dir = tempDir('kairos-risk-');
  const home = path.join(dir, 'home');
  // 100 bars: sma-cross makes 14 orders on them (13 fills when not halted).
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 100);
  // The embedded default, where the refusal's "no store made" is seen (no data folder).
  const env = { KAIROS_HOME: home };
  // The halt and resume on a Postgres schema (`processSchema`): the risk state and the gate are
  // the subject, not the store's dialect, and each of the five processes would start PGlite.
  const db = processSchema('risk_cli');
  const onDb = { ...env, ...db.env };
  const paper = (...extra: string[]) => runCli(paperArgs(data, ...extra), onDb);
  /** Stored orders by account, then status. */
  async function statuses(): Promise<Record<string, Record<string, number>>> {
    const store = await db.open();
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
    expect(runCli(['risk', 'halt', '--reason', 'test', '--actor', 'rita'], onDb).code).toBe(0);
    const shown = runCli(['risk', 'show'], onDb);
    expect(JSON.parse(shown.stdout)).toMatchObject({ states: { global: 'HALTED' } });
    const halted = paper();
    expect(halted.code).toBe(0);

    expect(runCli(['risk', 'resume', '--actor', 'rita'], onDb).code).toBe(0);
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
