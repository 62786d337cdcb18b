import { startTestServer, type TestServer } from '../../support/api-server.js';

/**
 * Behind a load balancer every connection comes from the balancer: the per-address limits
 * (logins per minute, requests per minute) would be one budget for every client. With
 * TRUST_PROXY naming the balancer, the client is the address it forwards (X-Forwarded-For);
 * without it, the header is ignored, so a client cannot pick a fresh budget by sending one.
 */
describe.each([
  ['127.0.0.1', true],
  [undefined, false],
])('TRUST_PROXY=%s: per-address login limits', (trusted, followsHeader) => {
  // The test server's own logins spend 10 of 127.0.0.1's budget (5 users, a password and a
  // second factor each): 12 leaves two, and each wrong login costs an argon2id run (~40 ms).
  const LIMIT = 12;
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      authRateLimitPerMinute: LIMIT,
      ...(trusted ? { env: { TRUST_PROXY: trusted } } : {}),
    });
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  let n = 0;
  /** A wrong login from `client` (its X-Forwarded-For); each for a new username. */
  const login = async (client: string) =>
    (
      await fetch(`${t.server.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
        body: JSON.stringify({ username: `nobody${n++}`, password: 'a wrong passphrase' }),
      })
    ).status;

  it(
    followsHeader ? 'gives each forwarded client its own budget' : 'ignores the header',
    async () => {
      const first: number[] = [];
      // The test server's own logins spent part of 127.0.0.1's budget; a forwarded client's is whole.
      for (let i = 0; i < LIMIT + 1; i++) first.push(await login('203.0.113.7'));
      expect(first.slice(0, LIMIT - 10)).toEqual(Array(LIMIT - 10).fill(401));
      expect(first.at(-1)).toBe(429);
      if (followsHeader) expect(first.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      // Another client behind the same balancer: its own budget only when the header is believed.
      expect(await login('198.51.100.9')).toBe(followsHeader ? 401 : 429);
    },
    60_000,
  );
});
