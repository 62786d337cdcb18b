import { mkdtempSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { openStore } from '../../src/store/open-store.js';
import { runCli } from '../support/run-cli.js';

describe('kairos audit', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-audit-cli-'));
  const home = path.join(dir, 'home');
  const out = path.join(dir, 'export');
  const env = { KAIROS_HOME: home };
  const day = Date.UTC(2024, 0, 1);

  beforeAll(async () => {
    const store = await openStore({ dataDir: path.join(home, 'db') });
    const audit = new AuditRepository(store.db);
    for (let i = 1; i <= 6; i++) {
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
    const exported = runCli(
      [
        'audit',
        'export',
        '--from',
        '2024-01-01T02:00:00Z',
        '--to',
        '2024-01-01T05:30:00Z',
        '--out',
        out,
        '--actor',
        'ann',
      ],
      env,
    );
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/exported 4 row\(s\), seq 2…5/);

    const ok = runCli(['audit', 'verify', out], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK: signature valid/);

    // The export is itself audited, as the next row of the chain.
    const store = await openStore({ dataDir: path.join(home, 'db') });
    const last = await new AuditRepository(store.db).last();
    await store.close();
    expect(last).toMatchObject({
      seq: 7,
      actor: 'ann',
      action: 'audit.exported',
      payload: { rowCount: 4 },
    });

    const jsonl = (await readdir(out)).find((f) => f.endsWith('.jsonl'))!;
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
