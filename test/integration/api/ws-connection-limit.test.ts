import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { until } from '../../support/until.js';
import { gatewayApp, TRADER } from '../../support/ws-gateway-app.js';
import { silentPeer } from '../../support/ws-silent-peer.js';

/** What an upgrade got: an open socket, or the HTTP answer that refused it. */
type Upgrade =
  | { readonly open: WebSocket }
  | { readonly refused: { status: number; type: string | undefined; body: unknown } };

/**
 * At most `maxConnectionsPerAddress` WebSocket connections per client address, the address as
 * the API takes it (X-Forwarded-For from a trusted proxy, here 127.0.0.1); one more is refused
 * 429 `WS_CONNECTION_LIMIT` before the upgrade; a closed connection gives its slot back.
 */
describe('WebSocket connections per client address', () => {
  const MAX = 3;
  const metrics = new MemoryMetrics();
  let app: FastifyInstance;
  let url: string;
  const sockets = new Set<WebSocket>();

  beforeAll(async () => {
    ({ app, url } = await gatewayApp(
      {
        metrics,
        maxConnectionsPerAddress: MAX,
        // `bad` is refused: the server closes that socket (4401) itself.
        tokens: {
          verifyAccess: (t) => {
            if (t === 'bad') throw new Error('bad token');
            return TRADER;
          },
        },
      },
      { trustProxy: ['127.0.0.1'] },
    ));
    url = `${url.replace('http', 'ws')}/ws`;
  });
  afterEach(async () => {
    for (const ws of sockets) ws.terminate();
    sockets.clear();
    await until(() => connected() === 0, 5_000, 'every client gone');
  });
  afterAll(async () => {
    await app.close();
  });

  const connected = () => metrics.value('kairos_ws_clients');
  const refusedCount = () => metrics.value('kairos_ws_refused_connections_total');

  /** An upgrade from client `address` (forwarded by the trusted proxy). */
  const upgrade = (address: string) =>
    new Promise<Upgrade>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { 'x-forwarded-for': address } });
      ws.once('open', () => {
        sockets.add(ws);
        ws.once('close', () => sockets.delete(ws));
        resolve({ open: ws });
      });
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            refused: {
              status: res.statusCode ?? 0,
              type: res.headers['content-type'],
              body: JSON.parse(text) as unknown,
            },
          }),
        );
      });
      ws.once('error', reject);
    });
  const opened = async (address: string): Promise<WebSocket> => {
    const u = await upgrade(address);
    if (!('open' in u)) throw new Error(`refused: ${JSON.stringify(u.refused)}`);
    return u.open;
  };

  it('refuses one over the limit with a 429 problem, counted; another address is not affected', async () => {
    for (let i = 0; i < MAX; i++) await opened('203.0.113.7');
    const before = refusedCount();
    const over = await upgrade('203.0.113.7');
    expect(over).toEqual({
      refused: {
        status: 429,
        type: expect.stringMatching(/^application\/problem\+json/),
        body: expect.objectContaining({
          status: 429,
          code: 'WS_CONNECTION_LIMIT',
          detail: expect.stringContaining(`${MAX} WebSocket connections open`),
        }),
      },
    });
    expect(refusedCount()).toBe((before ?? 0) + 1);
    // Another client behind the same proxy has its own slots.
    for (let i = 0; i < MAX; i++) await opened('198.51.100.9');
    expect(connected()).toBe(2 * MAX);
  });

  it('gives the slots back when connections close, are cut, or the server closes them', async () => {
    const [a, b, c] = [
      await opened('203.0.113.7'),
      await opened('203.0.113.7'),
      await opened('203.0.113.7'),
    ];
    expect('refused' in (await upgrade('203.0.113.7'))).toBe(true);
    a!.close(1000);
    b!.terminate();
    // The server closes this one: its token is refused (4401).
    const closedByServer = new Promise<number>((r) => c!.once('close', (code) => r(code)));
    c!.send(JSON.stringify({ type: 'auth', token: 'bad' }));
    expect(await closedByServer).toBe(4401);
    await until(() => connected() === 0, 5_000, 'the three gone');
    for (let i = 0; i < MAX; i++) await opened('203.0.113.7');
    expect('refused' in (await upgrade('203.0.113.7'))).toBe(true);
  });

  it('keeps each address at the model count over random open and close sequences', async () => {
    const addresses = ['203.0.113.7', '198.51.100.9'];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('open' as const), address: fc.constantFrom(...addresses) }),
      fc.record({
        kind: fc.constantFrom('close' as const, 'terminate' as const),
        pick: fc.nat(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const open: Array<{ ws: WebSocket; address: string }> = [];
        const model = new Map<string, number>();
        try {
          for (const s of steps) {
            if (s.kind === 'open') {
              const n = model.get(s.address) ?? 0;
              const u = await upgrade(s.address);
              if ('open' in u) open.push({ ws: u.open, address: s.address });
              expect('open' in u).toBe(n < MAX);
              if ('open' in u) model.set(s.address, n + 1);
              else expect(u.refused.status).toBe(429);
              continue;
            }
            if (open.length === 0) continue;
            const [gone] = open.splice(s.pick % open.length, 1);
            if (s.kind === 'close') gone!.ws.close(1000);
            else gone!.ws.terminate();
            model.set(gone!.address, model.get(gone!.address)! - 1);
            // The server saw it go (its slot is given back before the client count drops).
            await until(() => connected() === open.length, 5_000, 'the server saw the close');
          }
        } finally {
          for (const { ws } of open) ws.terminate();
          await until(() => connected() === 0, 5_000, 'every client gone');
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

/**
 * A socket that never authenticates is closed 4401 at the auth deadline; a peer that does not
 * answer that close is cut after the grace (ws would wait 30 s), so it holds no slot longer.
 */
describe('WebSocket sockets that never authenticate', () => {
  it('are closed at the deadline, a silent one cut, and their address slots given back', async () => {
    const metrics = new MemoryMetrics();
    const { app, url } = await gatewayApp({
      metrics,
      maxConnectionsPerAddress: 2,
      authTimeoutMs: 100,
    });
    try {
      const polite = new WebSocket(`${url.replace('http', 'ws')}/ws`);
      const code = new Promise<number>((r) => polite.once('close', (c) => r(c)));
      await new Promise((r) => polite.once('open', r));
      const silent = await silentPeer(url);
      const cut = new Promise<void>((r) => silent.once('close', () => r()));
      expect(await code).toBe(4401);
      // Cut after the grace (1 s), long before ws's own 30 s close timeout.
      let isCut = false;
      void cut.then(() => (isCut = true));
      await until(() => isCut, 10_000, 'the silent peer cut');
      await until(() => metrics.value('kairos_ws_clients') === 0, 5_000, 'both gone');
      // Both slots free again: the address opens two more.
      const again = await Promise.all([silentPeer(url), silentPeer(url)]);
      for (const s of again) s.destroy();
    } finally {
      await app.close();
    }
  });
});
