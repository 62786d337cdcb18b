import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { until } from '../../support/until.js';
import { gatewayApp } from '../../support/ws-gateway-app.js';

describe('WebSocket gateway metrics', () => {
  let app: FastifyInstance;
  let emit: (bar: Bar) => void = () => undefined;
  const metrics = new MemoryMetrics();

  beforeAll(async () => {
    ({ app, emit } = await gatewayApp({ metrics }));
  });
  afterAll(async () => {
    await app.close();
  });

  const clients = () => metrics.value('kairos_ws_clients');
  const dropped = () => metrics.value('kairos_ws_dropped_consumers_total');

  it('counts connected clients and drops a slow consumer, counted', async () => {
    expect([clients(), dropped()]).toEqual([0, 0]);
    const { port } = app.server.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const replies: string[] = [];
    ws.on('message', (m) => replies.push(String(m)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    expect(clients()).toBe(1);
    ws.send(JSON.stringify({ type: 'auth', token: 't' }));
    ws.send(JSON.stringify({ type: 'subscribe', channel: 'bars' }));
    await until(() => replies.some((r) => r.includes('"subscribed"')), 5_000, 'subscribed');
    // The client stops reading; the server queues more than 1 MiB in one go.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const bar = (i: number) =>
      ({
        instrumentId: 'BTC/X',
        openTime: i * 60_000,
        closeTime: i * 60_000 + 59_999,
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        // 4 KB a message: the kernel's socket buffers fill first, then the server's queue.
        volume: 'X'.repeat(4096),
      }) as unknown as Bar;
    // Each bar goes through the (in-memory) event log to the socket.
    for (let i = 0; i < 20_000 && dropped() === 0; i++) emit(bar(i));
    await until(() => dropped() === 1, 5_000, 'the slow consumer dropped');
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(1013);
    await until(() => clients() === 0, 5_000, 'the client gone');
  });
});
