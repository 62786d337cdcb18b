import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import pg from 'pg';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

const AUTH_PER_MINUTE = 12;
const ORDER = { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0016' };

/**
 * Issue 11, items 5-7 over HTTP on Postgres (so the test can read and tamper with the tables):
 * exports verify the chain before signing, refresh-token reuse is audited and stops writes at
 * once, and login limits key on the address, not on a token the client sends.
 */
describe('audit exports, refresh reuse and login limits, over HTTP', () => {
  const schema = `kairos_ash_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  let clock = Date.now();
  let t: TestServer;
  let db: pg.Client;
  beforeAll(async () => {
    t = await startTestServer({
      postgresSchema: schema,
      now: () => clock,
      authRateLimitPerMinute: AUTH_PER_MINUTE,
    });
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    await db.query(`set search_path to ${schema}`);
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
    await db?.query(`drop schema if exists ${schema} cascade`);
    await db?.end();
  });

  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.server.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Json };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('refresh-token reuse writes an audit row and the rotated access token stops writing at once', async () => {
    const u = t.users.trader;
    clock += 60_000; // a new TOTP step: the setup's login used the last one
    const { json: first } = await post('/auth/login', {
      username: u.username,
      password: u.password,
    });
    const code = await generate({ secret: u.secret, epoch: Math.floor(clock / 1000) });
    const { json: pair } = await post('/auth/mfa', { challenge: first.challenge, code });
    const { status, json: next } = await post('/auth/refresh', { refreshToken: pair.refreshToken });
    expect(status).toBe(200);
    // The rotated token writes (and the server now remembers its session as live)…
    const placed = await post('/orders', ORDER, {
      ...bearer(next.accessToken),
      'idempotency-key': 'reuse-1',
    });
    expect(placed.status).toBe(201);
    // …until the spent refresh token comes back.
    const reuse = await post('/auth/refresh', { refreshToken: pair.refreshToken });
    expect([reuse.status, reuse.json.code]).toEqual([401, 'AUTH_REFRESH_REUSED']);
    const after = await post('/orders', ORDER, {
      ...bearer(next.accessToken),
      'idempotency-key': 'reuse-2',
    });
    expect([after.status, after.json.code]).toEqual([401, 'AUTH_SESSION_REVOKED']);
    const rows = await db.query(
      `select actor, subject, payload from audit_log where action = 'auth.refresh_reused'`,
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].subject).toBe(u.id);
    expect(JSON.parse(rows.rows[0].payload)).toMatchObject({
      ip: expect.any(String),
      sessionId: expect.any(String),
    });
  });

  it('login limits key on the address: a forged (alg none) token buys no fresh budget', async () => {
    const forged = (sub: string) =>
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.`;
    let limited = false;
    for (let i = 0; i < AUTH_PER_MINUTE + 2 && !limited; i++) {
      const r = await post('/auth/login', { username: `ghost-${i}`, password: 'wrong password' });
      limited = r.status === 429;
    }
    expect(limited).toBe(true);
    for (let i = 0; i < 3; i++) {
      const r = await post(
        '/auth/login',
        { username: `ghost-forged-${i}`, password: 'wrong password' },
        bearer(forged(randomUUID())),
      );
      expect([r.status, r.json.code]).toEqual([429, 'RATE_LIMITED']);
    }
  });

  it('POST /audit/exports verifies the chain before it signs: AUDIT_CHAIN_BROKEN with the first bad seq', async () => {
    const auditor = bearer(t.tokens.auditor);
    const range = { from: 0, to: clock + 3_600_000 };
    const ok = await post('/audit/exports', range, auditor);
    expect(ok.status).toBe(201);
    // A superuser rewrites row 3 with the append-only triggers bypassed.
    await db.query('set session_replication_role = replica');
    await db.query(`update audit_log set subject = 'rewritten' where seq = 3`);
    await db.query('set session_replication_role = origin');
    const broken = await post('/audit/exports', range, auditor);
    expect([broken.status, broken.json.code]).toEqual([500, 'AUDIT_CHAIN_BROKEN']);
    expect(broken.json.detail).toContain('first bad seq 3');
  });
});
