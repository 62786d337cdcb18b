import type { Client } from 'memjs';
import { generate } from 'otplib';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { testMemcached, TEST_MEMCACHED, uniquePrefix } from '../scalability/services.js';

/**
 * Issue 16, caches: with `MEMCACHED_SERVERS` (and no Redis) a server's shared caches live in
 * Memcached, every key under the deployment's prefix (`KAIROS_REDIS_PREFIX`), as its Redis keys
 * are; nothing under the default `kairos:`. A real memcached (127.0.0.1:11211).
 */
describe('Memcached keys under the service prefix', () => {
  const prefix = uniquePrefix();
  let t: TestServer;
  let mc: Client;
  // The server's clock, moved a TOTP window on for each code (a code is accepted once).
  let offset = 0;
  const now = () => Date.now() + offset;

  beforeAll(async () => {
    t = await startTestServer({
      env: { MEMCACHED_SERVERS: TEST_MEMCACHED, KAIROS_REDIS_PREFIX: prefix },
      now,
    });
    mc = await testMemcached();
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
    mc?.close();
  });

  const post = (url: string, body: object) => apiCall(t.server.url, 'POST', url, { body });
  const value = async (key: string) => (await mc.get(key)).value?.toString('utf8') ?? null;

  it('a login between password and second factor is kept under the prefix and read from there', async () => {
    const u = t.users.trader;
    const login = async () => {
      const r = await post('/auth/login', { username: u.username, password: u.password });
      expect(r.status).toBe(200);
      return r.json.challenge as string;
    };
    const code = () => {
      offset += 60_000;
      return generate({ secret: u.secret, epoch: Math.floor(now() / 1000) });
    };

    const first = await login();
    expect(JSON.parse((await value(`${prefix}login:login:${first}`)) ?? 'null')).toEqual({
      userId: u.id,
    });
    expect(await value(`kairos:login:login:${first}`)).toBeNull();
    // The server reads it from Memcached: gone from there, the login is unknown.
    await mc.delete(`${prefix}login:login:${first}`);
    const refused = await post('/auth/mfa', { challenge: first, code: await code() });
    expect([refused.status, refused.json.code]).toEqual([401, 'MFA_FAILED']);

    const second = await login();
    const done = await post('/auth/mfa', { challenge: second, code: await code() });
    expect(done.status).toBe(200);
    // Used once: deleted from Memcached.
    expect(await value(`${prefix}login:login:${second}`)).toBeNull();
  }, 60_000);
});
