import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { toDecimal } from '../../src/trading/core/decimal.js';
import { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';
import { btcInstrument, btcSlice } from '../support/paper-args.js';
import { TEST_DATABASE_URL } from '../support/postgres.js';
import { ROOT, runCli } from '../support/run-cli.js';

/** Polls a condition with a deadline (no fixed sleeps). */
async function until(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 15));
  }
  return cond();
}

const KILLS = 20;

describe('kairos paper under kill -9 (Postgres, ≥ 50 orders/s)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-crash-'));
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 1500);
  const schema = `kairos_crash_${process.pid}`;
  const env = { KAIROS_HOME: home, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema };
  // `churn` makes two orders and a cancel on every bar.
  const args = [
    'paper',
    'test/fixtures/strategies/churn.ts',
    '--data',
    data,
    '--speed',
    '0',
    '--lot',
    '0.001',
    '--cash',
    '1000',
    '--params',
    'size=1',
    '--symbol',
    'BTC/X',
  ];
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  const q = async <T extends pg.QueryResultRow>(text: string) => (await db.query<T>(text)).rows;
  const orderCount = async () => {
    try {
      return Number((await q<{ n: string }>('select count(*) as n from orders'))[0]!.n);
    } catch {
      return 0; // the first run has not migrated yet
    }
  };

  beforeAll(async () => {
    await db.connect();
    await db.query(`set search_path = ${schema}`);
  });
  afterAll(async () => {
    await db.query(`drop schema if exists ${schema} cascade`);
    await db.end();
  });

  it('ends with each client order id once at the venue, nothing acknowledged lost, positions equal', async () => {
    let kills = 0;
    let ordersWhileRunning = 0;
    let msWhileRunning = 0;
    const points: string[] = [];
    for (let run = 0; kills < KILLS && run < KILLS * 2; run++) {
      // A third of the kills land between commit and send, a third between send and the
      // stored answer (failpoints), the rest at a random moment.
      const mode = run % 3;
      const nth = 1 + Math.floor(Math.random() * 60);
      const failpoint =
        mode === 0 ? `after-commit:${nth}` : mode === 1 ? `after-send:${nth}` : undefined;
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/kairos.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env, ...(failpoint ? { KAIROS_FAILPOINT: failpoint } : {}) },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let done = false;
      void exited.then(() => (done = true));
      // Measure the order rate from the first new order on.
      const before = await orderCount();
      await until(async () => done || (await orderCount()) > before, 60_000);
      const t0 = Date.now();
      const first = await orderCount();
      if (failpoint === undefined) {
        const target = first + 1 + Math.floor(Math.random() * 120);
        await until(async () => done || (await orderCount()) >= target, 60_000);
        if (!done) child.kill('SIGKILL');
      }
      const code = await exited;
      const made = (await orderCount()) - first;
      if (made > 0 && Date.now() > t0) {
        ordersWhileRunning += made;
        msWhileRunning += Date.now() - t0;
      }
      if (code === null) {
        kills++;
        points.push(failpoint ?? 'random');
      } else {
        expect(code).toBe(0); // it finished the data before its kill: a clean exit
        break;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(points.filter((p) => p.startsWith('after-commit')).length).toBeGreaterThan(0);
    expect(points.filter((p) => p.startsWith('after-send')).length).toBeGreaterThan(0);
    const rate = (ordersWhileRunning / msWhileRunning) * 1000;
    process.stdout.write(`crash test: ${kills} kills, ${rate.toFixed(0)} orders/s while up\n`);
    expect(rate).toBeGreaterThanOrEqual(50);

    // A last, uninterrupted run finishes the data.
    const final = runCli(args, env);
    expect(final.stderr.replace(/npm warn.*\n/g, '')).not.toMatch(/error|DRIFT/i);
    expect(final.code).toBe(0);

    const inst = btcInstrument();
    const venue = new PaperVenue(
      path.join(home, 'paper', 'paper', 'venue.json'),
      { venue: 'PAPER', instruments: [inst] },
      () => undefined,
    ).state();
    // No client order id reached the venue twice.
    expect(venue.duplicatesRefused).toBe(0);
    const fills = await q<{
      trade_id: string;
      client_order_id: string;
      price: string;
      quantity: string;
      side: string;
    }>('select trade_id, client_order_id, price, quantity, side from fills');
    // Every venue trade is stored exactly once, with its price and quantity.
    expect(fills.map((f) => [f.trade_id, f.client_order_id, f.price, f.quantity]).sort()).toEqual(
      venue.trades.map((t) => [t.tradeId, t.clientOrderId, t.price, t.quantity]).sort(),
    );
    // Every order the venue knows is stored with the venue's status and filled quantity; an
    // order it never saw (killed between commit and send) is closed here, never open or filled.
    const orders = await q<{ client_order_id: string; status: string; filled_quantity: string }>(
      'select client_order_id, status, filled_quantity from orders',
    );
    const stored = new Map(orders.map((o) => [o.client_order_id, o]));
    const same: Record<string, string[]> = {
      OPEN: ['ACCEPTED', 'PARTIALLY_FILLED'],
      FILLED: ['FILLED'],
      CANCELED: ['CANCELED'],
      EXPIRED: ['EXPIRED'],
      REJECTED: ['REJECTED'],
    };
    for (const r of venue.reports) {
      const o = stored.get(r.clientOrderId);
      expect([r.clientOrderId, o && toDecimal(o.filled_quantity).toFixed()]).toEqual([
        r.clientOrderId,
        toDecimal(r.filledQuantity).toFixed(),
      ]);
      expect(same[r.status]).toContain(o!.status);
    }
    const atVenue = new Set(venue.reports.map((r) => r.clientOrderId));
    for (const o of orders.filter((o) => !atVenue.has(o.client_order_id)))
      expect(['REJECTED', 'DENIED']).toContain(o.status);
    // The position is the venue's, to the last decimal.
    const net = (rows: readonly { side: string; quantity: string }[]) =>
      rows.reduce(
        (a, r) => a.plus(toDecimal(r.quantity).times(r.side === 'BUY' ? 1 : -1)),
        toDecimal(0),
      );
    expect(net(fills).toFixed()).toBe(net(venue.trades).toFixed());
    expect(toDecimal(/position ([^,\s]+)/.exec(final.stdout)![1]!).toFixed()).toBe(
      net(fills).toFixed(),
    );
  }, 600_000);
});
