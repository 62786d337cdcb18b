import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { btcSlice, paperArgs } from '../support/paper-args.js';
import { ROOT, runCli } from '../support/run-cli.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'kairos-paper-'));

/** Waits for a condition, polling, with a deadline. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

describe('kairos paper survives kill -9', () => {
  // 1,500 one-minute candles cut from the shared file keep the test quick.
  const dir = tmp();
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 1500);
  const args = paperArgs(data);
  const summary = (out: string) => /position (\S+), cash (\S+)/.exec(out)?.slice(1);

  async function counts(home: string) {
    const store = await openStore({ dataDir: path.join(home, 'db') });
    const fills = await store.db
      .selectFrom('fills')
      .select(['client_order_id', 'trade_id', 'price', 'quantity', 'side'])
      .orderBy('ts')
      .orderBy('trade_id')
      .execute();
    const orders = await store.db
      .selectFrom('orders')
      .select(['client_order_id', 'status'])
      .execute();
    await store.close();
    return { fills, orders };
  }

  it('ends with every acknowledged order and fill stored once, positions equal to the venue', async () => {
    const home = tmp();
    const venue = path.join(home, 'paper', 'paper', 'venue.json');
    let kills = 0;
    for (let i = 0; i < 6; i++) {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/kairos.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, KAIROS_HOME: home },
        stdio: 'ignore',
      });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      // Kill at a random moment, once the venue has changed a few more times.
      const target = 1 + Math.floor(Math.random() * 8);
      let seen = 0;
      let last = existsSync(venue) ? statSync(venue).mtimeMs : 0;
      await until(() => {
        if (existsSync(venue) && statSync(venue).mtimeMs !== last) {
          last = statSync(venue).mtimeMs;
          seen++;
        }
        return seen >= target;
      }, 20_000);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
    }
    expect(kills).toBeGreaterThan(2);
    const final = runCli(args, { KAIROS_HOME: home });
    expect(final.stderr.replace(/npm warn.*\n/g, '')).not.toMatch(/DUPLICATE|error/i);
    expect(final.code).toBe(0);
    expect(summary(final.stdout)).toBeDefined();

    const stored = await counts(home);
    const state = JSON.parse(readFileSync(venue, 'utf8')) as {
      reports: { clientOrderId: string; status: string; filledQuantity: string }[];
      trades: {
        tradeId: string;
        clientOrderId: string;
        price: string;
        quantity: string;
        side: string;
      }[];
    };
    // Every venue trade is stored exactly once, with the same price and quantity: positions agree.
    const key = (t: { trade_id?: string; tradeId?: string }) => t.trade_id ?? t.tradeId;
    expect(
      stored.fills.map((f) => [key(f), f.client_order_id, f.price, f.quantity]).sort(),
    ).toEqual(state.trades.map((t) => [t.tradeId, t.clientOrderId, t.price, t.quantity]).sort());
    const net = (rows: { side: string; quantity: string }[]) =>
      rows.reduce((a, r) => a + (r.side === 'BUY' ? 1 : -1) * Number(r.quantity), 0);
    expect(net(stored.fills)).toBeCloseTo(net(state.trades), 12);
    // Every order the venue acknowledged is stored, with its venue status.
    const byId = new Map(stored.orders.map((o) => [o.client_order_id, o.status]));
    for (const r of state.reports) {
      expect(byId.has(r.clientOrderId)).toBe(true);
      if (r.status === 'FILLED') expect(byId.get(r.clientOrderId)).toBe('FILLED');
    }
    // The final summary agrees with the stored fills: the position is their net quantity.
    expect(Number(summary(final.stdout)![0])).toBeCloseTo(net(stored.fills), 12);
  }, 240_000);
});
