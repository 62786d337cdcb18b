import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { btcSlice, paperArgs } from '../support/paper-args.js';
import { runCli } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

// The commands and the test's reads on a Postgres schema of each describe (`processSchema`): the
// audit log is the subject, not the embedded default (`audit-hostile-strings` exports and
// verifies a chain stored on either dialect).
describe('kairos audit', () => {
  const dir = tempDir('kairos-audit-cli-');
  const home = path.join(dir, 'home');
  const out = path.join(dir, 'export');
  const db = processSchema('audit_cli');
  const env = { KAIROS_HOME: home, ...db.env };
  const day = Date.UTC(2024, 0, 1);

  beforeAll(async () => {
    const store = await db.open();
    // Rows recorded on 2024-01-01 (the log's wall clock is the test's here).
    let wall = 0;
    const audit = new AuditRepository(store.db, () => wall);
    for (let i = 1; i <= 6; i++) {
      wall = day + i * 3_600_000;
      await audit.append({
        ts: day + i * 3_600_000,
        actor: `user-${i}`,
        role: 'trader',
        action: 'order.submitted',
        subject: `c-${i}`,
        payload: { qty: `${i}`, note: 'a, "b"' },
      });
    }
    await store.close();
  });

  it('refuses a bad time naming the flag', () => {
    const r = runCli(
      ['audit', 'export', '--from', 'yesterday', '--to', '2024-01-02', '--out', out],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from: must be an ISO-8601 time/);
  });

  it('exports a range, verifies it, and names the seq of one corrupted byte', async () => {
    const range = ['--from', '2024-01-01T02:00:00Z', '--to', '2024-01-01T05:30:00Z', '--out', out];
    const exported = runCli(['audit', 'export', ...range, '--actor', 'ann'], env);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/exported 4 row\(s\), seq 2…5/);

    const ok = runCli(['audit', 'verify', out], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK: signature valid/);

    const jsonl = (await readdir(out)).find((f) => f.endsWith('.jsonl'))!;
    // The same export again: refused on its first file, nothing replaced, nothing audited.
    const files = await readdir(out);
    const again = runCli(['audit', 'export', ...range], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `kairos: ${path.join(out, jsonl)} exists; objects are never overwritten (export to a new folder or prefix) [AUDIT_EXPORT_EXISTS]\n`,
    );
    expect(await readdir(out)).toEqual(files);
    // The export is itself audited, as the next row of the chain; the refused one added none
    // (one look at the store for both).
    const store = await db.open();
    const last = await new AuditRepository(store.db).last();
    await store.close();
    expect(last).toMatchObject({
      seq: 7,
      actor: 'ann',
      action: 'audit.exported',
      payload: { rowCount: 4 },
    });

    const bytes = await readFile(path.join(out, jsonl));
    const at = bytes.indexOf('user-4');
    bytes[at + 5] = '9'.charCodeAt(0);
    await writeFile(path.join(out, jsonl), bytes);
    const bad = runCli(
      ['audit', 'verify', out, '--public-key', path.join(home, 'keys', 'audit-signing.pub')],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAILED: first bad seq 4 \(changed\)/);
    const json = runCli(['audit', 'verify', out, '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      firstBad: { seq: 4, kind: 'changed' },
    });
  }, 120_000);

  it('says which key is missing when there is none', () => {
    const r = runCli(['audit', 'verify', out], { KAIROS_HOME: path.join(dir, 'no-home') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--public-key: cannot read .*audit-signing\.pub/);
  });
});

describe('kairos audit export of a day in which a paper run replayed 2019', () => {
  const dir = tempDir('kairos-audit-today-');
  const db = processSchema('audit_today');
  const env = { KAIROS_HOME: path.join(dir, 'home'), ...db.env };
  /** The shared BTC candles moved to start on 2019-01-01, as a replay of 2019 reads them. */
  function candles2019(n: number): string {
    const file = btcSlice(path.join(dir, 'BTC-1m.json'), n);
    const rows = JSON.parse(readFileSync(file, 'utf8')) as number[][];
    const shift = Date.UTC(2019, 0, 1) - rows[0]![0]!;
    writeFileSync(file, JSON.stringify(rows.map(([t, ...rest]) => [t! + shift, ...rest])));
    return file;
  }

  it('holds the run’s rows (recorded today, market time 2019), and they verify', async () => {
    const started = Date.now();
    const today = new Date(started).toISOString().slice(0, 10);
    const paper = runCli(paperArgs(candles2019(100)), env);
    expect(paper.stderr).toBe('');
    expect(paper.code).toBe(0);

    const out = path.join(dir, 'today');
    const exported = runCli(['audit', 'export', '--from', today, '--out', out], env);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const verified = runCli(['audit', 'verify', out], env);
    expect(verified.stdout).toMatch(/OK: signature valid/);
    expect(verified.code).toBe(0);

    const jsonl = (await readdir(out)).find((f) => f.endsWith('.jsonl'))!;
    const rows = (await readFile(path.join(out, jsonl), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; ts: number; wall_ts: number });
    const orderRows = rows.filter((r) => r.action.startsWith('order.'));
    expect(orderRows.length).toBeGreaterThan(0);
    for (const r of orderRows) {
      expect(new Date(r.ts).getUTCFullYear()).toBe(2019);
      expect(r.wall_ts).toBeGreaterThanOrEqual(started);
    }
    // Every order row the run wrote is in today's export.
    const store = await db.open();
    const stored = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    await store.close();
    expect(orderRows.length).toBe(stored.filter((r) => r.action.startsWith('order.')).length);

    // The replay's market day selects nothing: ranges are of wall time.
    const marketDay = runCli(
      ['audit', 'export', '--from', '2019-01-01', '--to', '2019-01-02', '--out', `${out}-2019`],
      env,
    );
    expect(marketDay.stdout).toMatch(/exported 0 row\(s\)/);
  }, 180_000);
});
