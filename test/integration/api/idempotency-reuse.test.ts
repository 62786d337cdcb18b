import { apiCall } from '../../support/api-call.js';
import { replayPriced, startTestServer, type TestServer } from '../../support/api-server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

const BUY = { instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity: '0.001' };

/**
 * An `Idempotency-Key` names one order: a retry with the same request (spelled any way that
 * snaps to the same order) gets it back (200); another request under the key is a client's bug
 * (a SELL sent with the BUY's key) and gets 422 `IDEMPOTENCY_KEY_REUSED` naming the order the key
 * made, with nothing placed, never the BUY as if the SELL were placed.
 */
describe('POST /orders: one Idempotency-Key, one request', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ speed: 300, bars: 3000 });
    await replayPriced(t);
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });
  const place = (key: string, body: Json) =>
    apiCall(t.server.url, 'POST', '/orders', {
      token: t.token,
      headers: { 'idempotency-key': key },
      body,
    });
  const stored = () => t.server.core.exec.allOrders().length;

  it('answers the same request again with its order, and another one with 422 naming it', async () => {
    const made = await place('k-1', BUY);
    expect(made.status).toBe(201);
    const id = made.json.clientOrderId as string;
    // The same order spelled otherwise: the same decision once snapped.
    const again = await place('k-1', { ...BUY, quantity: '0.0010' });
    expect([again.status, again.json.clientOrderId]).toEqual([200, id]);
    const count = stored();
    for (const other of [
      { ...BUY, side: 'SELL' },
      { ...BUY, quantity: '0.002' },
      { ...BUY, type: 'LIMIT', price: '1' },
      { ...BUY, instrumentId: 'ETH/X' },
    ]) {
      const r = await place('k-1', other);
      expect([other, r.status, r.json.code]).toEqual([other, 422, 'IDEMPOTENCY_KEY_REUSED']);
      expect(r.json.detail).toContain(id);
      expect(r.json.detail).toMatch(/use a new key/);
    }
    expect(stored()).toBe(count);
  });

  it('at once: one order made, the same body 200 with it, another body 422', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? { ...BUY, quantity: '0.002' } : BUY,
    );
    const answers = await Promise.all(bodies.map((b) => place('k-2', b)));
    const made = answers.filter((a) => a.status === 201);
    expect(made).toHaveLength(1);
    const first = made[0]!.json as Json;
    answers.forEach((a, i) => {
      const same = Number(bodies[i]!.quantity) === Number(first.quantity);
      expect([i, a.status]).toEqual([i, a === made[0] ? 201 : same ? 200 : 422]);
      if (same) expect(a.json.clientOrderId).toBe(first.clientOrderId);
      else
        expect([a.json.code, a.json.detail]).toEqual([
          'IDEMPOTENCY_KEY_REUSED',
          expect.stringContaining(first.clientOrderId),
        ]);
    });
  });
});
