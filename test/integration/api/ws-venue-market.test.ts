import path from 'node:path';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { startLiveSim } from '../../support/ccxt-sim.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON frames, checked field by field
type Frame = any;

const KEY = 'binance:BTC/USDT';
/** The frames the log keeps per channel here: a resume from far enough back is a snapshot. */
const KEEP = 200;

/**
 * Issue 15, per-instrument WebSocket channels for a venue's symbols, against the Binance
 * simulator (ccxt's real `pro.binance`): `bars`, `trades` and `book` of `<venue>:<symbol>` are
 * subscribed at the venue for the first client and released after the last; each frame carries
 * its channel's `seq`; a client resumes after its last one, or (past the log's bound) gets a
 * snapshot with `resumed: false`; the replay's `bars` keep working; a venue or instrument the
 * server does not have is an error frame naming it. Also `GET /instruments` with the venue's
 * instruments and a venue account's balances in the venue's quote currency. One server.
 */
describe('venue market channels on the WebSocket', () => {
  let sim: BinanceSim;
  let t: TestServer;
  beforeAll(async () => {
    sim = await startLiveSim();
    t = await startTestServer({
      venues: [{ id: 'binance', url: sim.url }],
      env: { KAIROS_WS_RESUME_EVENTS: String(KEEP) },
      speed: 600,
      bars: 2000,
    });
    addToCatalog(path.join(t.home, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
    await sim?.close();
  });
  const streams = (suffix: string) =>
    sim.state.subscriptions().filter((s) => s.endsWith(suffix)).length;
  const socket = () => subscribedSocket<Frame>(t.server.url, t.token, []);

  it('streams a venue symbol’s trades and book top with sequences, subscribed for the first client and released after the last', async () => {
    expect([streams('@trade'), streams('@bookTicker')]).toEqual([0, 0]);
    const a = await socket();
    const b = await socket();
    a.send({ type: 'subscribe', channel: 'trades', instruments: [KEY] });
    a.send({ type: 'subscribe', channel: 'book', instruments: [KEY] });
    b.send({ type: 'subscribe', channel: 'trades', instruments: [KEY] });
    await until(() => a.frames.filter((f) => f.type === 'subscribed').length === 2, 20_000, 'a');
    await until(() => b.frames.some((f) => f.type === 'subscribed'), 20_000, 'b subscribed');
    expect(a.frames.find((f) => f.type === 'subscribed')).toMatchObject({
      channel: 'trades',
      instruments: [KEY],
    });
    // One venue stream each, however many clients (ccxt subscribes with its first watch).
    await until(() => streams('@trade') === 1 && streams('@bookTicker') === 1, 10_000, 'streams');
    await until(() => a.frames.filter((f) => f.type === 'trade').length >= 10, 20_000, 'trades');
    await until(() => a.frames.some((f) => f.type === 'book'), 20_000, 'a book top');
    const trades = a.frames.filter((f) => f.type === 'trade');
    expect(trades[0]).toMatchObject({
      venue: 'binance',
      trade: { instrumentId: 'BTC/USDT', tradeId: expect.any(String), price: expect.any(Number) },
    });
    // One sequence per channel, no gap, each trade once.
    const seqs = trades.map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
    expect(new Set(trades.map((f) => f.trade.tradeId)).size).toBe(trades.length);
    const book = a.frames.find((f) => f.type === 'book');
    expect(book).toMatchObject({ venue: 'binance', book: { instrumentId: 'BTC/USDT' } });
    expect(book.book.bid).toBeGreaterThan(1000);
    expect(book.book.ask).toBeGreaterThanOrEqual(book.book.bid);
    // b sees the same trades under the same sequences (one log, one venue stream).
    await until(() => b.frames.some((f) => f.type === 'trade' && f.seq === seqs.at(-1)), 10_000);
    const bTrade = b.frames.find((f) => f.type === 'trade' && f.seq === seqs.at(-1));
    expect(bTrade.trade.tradeId).toBe(trades.at(-1).trade.tradeId);
    expect(b.frames.some((f) => f.type === 'book')).toBe(false);

    // a leaves the trades: b still needs them; the book goes with a's socket.
    a.send({ type: 'unsubscribe', channel: 'trades', instruments: [KEY] });
    await until(() => a.frames.some((f) => f.type === 'unsubscribed'), 10_000);
    expect(streams('@trade')).toBe(1);
    a.close();
    await until(() => streams('@bookTicker') === 0, 10_000, 'the book top released');
    b.close();
    await until(() => streams('@trade') === 0, 10_000, 'the trades released');
  }, 60_000);

  it('resumes a venue channel after the last seq, and past the bound sends a snapshot flagged resumed: false', async () => {
    const a = await socket();
    a.send({ type: 'subscribe', channel: 'trades', instruments: [KEY] });
    await until(() => a.frames.filter((f) => f.type === 'trade').length >= 5, 20_000, 'trades');
    const last = a.frames.filter((f) => f.type === 'trade')[2].seq as number;
    // Another client keeps the stream while this one reconnects.
    const keeper = await socket();
    keeper.send({ type: 'subscribe', channel: 'trades', instruments: [KEY] });
    await until(() => keeper.frames.some((f) => f.type === 'subscribed'), 20_000);
    a.close();
    const r = await socket();
    r.send({ type: 'subscribe', channel: 'trades', after: { [KEY]: last } });
    const done = await until(() => r.frames.find((f) => f.type === 'subscribed'), 20_000);
    expect(done).toMatchObject({ channel: 'trades', resumed: { [KEY]: true } });
    const got = r.frames.filter((f) => f.type === 'trade').map((f) => f.seq);
    expect(got[0]).toBe(last + 1);
    expect(got).toEqual(got.map((_, i) => last + 1 + i));
    r.close();

    // Far behind: more than KEEP trades later, the frames after `last` are gone.
    await until(
      () => (keeper.frames.filter((f) => f.type === 'trade').at(-1)?.seq ?? 0) > last + KEEP + 5,
      30_000,
      'the log moved past its bound',
    );
    const s = await socket();
    s.send({ type: 'subscribe', channel: 'trades', after: { [KEY]: last } });
    await until(() => s.frames.some((f) => f.type === 'subscribed'), 20_000);
    const snap = s.frames.find((f) => f.type === 'snapshot');
    expect(snap).toMatchObject({ channel: 'trades', instrumentId: KEY, resumed: false });
    expect(snap.trades).toHaveLength(1);
    expect(s.frames.find((f) => f.type === 'subscribed').resumed).toEqual({ [KEY]: false });
    const after = s.frames.filter((f) => f.type === 'trade');
    if (after.length > 0) expect(after[0].seq).toBeGreaterThan(snap.seq);
    s.close();
    keeper.close();
    await until(() => streams('@trade') === 0, 10_000, 'released');
  }, 90_000);

  it('keeps the replay’s bars and adds a venue’s under venue-qualified keys', async () => {
    const a = await socket();
    a.send({ type: 'subscribe', channel: 'bars' });
    await until(() => a.frames.some((f) => f.type === 'bar'), 20_000, 'a replay bar');
    expect(a.frames.find((f) => f.type === 'subscribed')).toEqual({
      type: 'subscribed',
      channel: 'bars',
      from: { 'BTC/X': expect.any(Number) },
    });
    a.send({ type: 'subscribe', channel: 'bars', instruments: [KEY] });
    await until(() => a.frames.some((f) => f.type === 'bar' && f.venue === 'binance'), 30_000);
    const replay = a.frames.filter((f) => f.type === 'bar' && f.venue === undefined);
    const venue = a.frames.filter((f) => f.type === 'bar' && f.venue === 'binance');
    expect(replay[0].bar.instrumentId).toBe('BTC/X');
    expect(venue[0].bar.instrumentId).toBe('BTC/USDT');
    // Two channels, two sequences: the venue's starts at its own 1.
    expect(venue[0].seq).toBeLessThan(replay.at(-1).seq);
    expect(streams('@kline_1m')).toBe(1);
    a.close();
    await until(() => streams('@kline_1m') === 0, 10_000, 'the venue’s bars released');
  }, 60_000);

  it('refuses a venue or an instrument the server does not have with an error frame naming it', async () => {
    const a = await socket();
    const errorAfter = async (message: unknown) => {
      const n = a.frames.filter((f) => f.type === 'error').length;
      a.send(message);
      return until(() => a.frames.filter((f) => f.type === 'error')[n], 10_000, 'an error');
    };
    const noVenue = await errorAfter({
      type: 'subscribe',
      channel: 'trades',
      instruments: ['kraken:BTC/USD'],
    });
    expect(noVenue.code).toBe('VENUE_NOT_CONFIGURED');
    expect(noVenue.detail).toMatch(/instruments\[0\].*"kraken".*binance/);
    const noSymbol = await errorAfter({
      type: 'subscribe',
      channel: 'book',
      instruments: ['binance:DOGE/EUR'],
    });
    expect(noSymbol.code).toBe('UNKNOWN_INSTRUMENT');
    expect(noSymbol.detail).toContain('DOGE/EUR');
    const replayTrades = await errorAfter({
      type: 'subscribe',
      channel: 'trades',
      instruments: ['BTC/X'],
    });
    expect(replayTrades.code).toBe('UNKNOWN_INSTRUMENT');
    const noInstruments = await errorAfter({ type: 'subscribe', channel: 'trades' });
    expect(noInstruments).toMatchObject({ code: 'WS_BAD_MESSAGE' });
    expect(noInstruments.detail).toContain('message.instruments');
    const badResume = await errorAfter({
      type: 'subscribe',
      channel: 'bars',
      after: { 'binance:NOPE/USDT': 3 },
    });
    expect(badResume.code).toBe('UNKNOWN_INSTRUMENT');
    expect(badResume.detail).toContain('after.binance:NOPE/USDT');
    expect(a.frames.some((f) => f.type === 'subscribed')).toBe(false);
    expect(sim.state.subscriptions().filter((s) => s.includes('doge'))).toEqual([]);
    a.close();
  }, 30_000);

  it('lists every venue’s instruments beside the replay’s, and a venue account’s balances in its quote currency', async () => {
    const list = await apiCall(t.server.url, 'GET', '/instruments', { token: t.token });
    expect(list.status).toBe(200);
    const byVenue = (list.json as Frame).instruments.map((i: Frame) => [i.venue, i.id, i.quote]);
    expect(byVenue).toEqual([
      [null, 'BTC/X', 'X'],
      ['binance', 'BTC/USDT', 'USDT'],
    ]);
    const acc = await apiCall(t.server.url, 'POST', '/accounts', {
      token: t.token,
      body: { name: 'ws-venue', venue: 'binance', startingCash: '5000' },
    });
    expect(acc.status).toBe(201);
    const id = (acc.json as Frame).id as string;
    const balances = await apiCall(t.server.url, 'GET', `/balances?accountId=${id}`, {
      token: t.token,
    });
    expect((balances.json as Frame).balances).toEqual([
      expect.objectContaining({ accountId: id, currency: 'USDT', cash: '5000' }),
    ]);

    // A strategy started there names its instrument: one the account does not trade is 422.
    const start = (instrumentId: string) =>
      apiCall(t.server.url, 'POST', '/strategies/sma-cross/start', {
        token: t.tokens.quant,
        body: { instrumentId, params: { fast: 3, slow: 8, size: '0.01' } },
      });
    const refused = await start('BTC/USDT'); // the quant's default: the shared account, BTC/X
    expect([refused.status, (refused.json as Frame).code]).toEqual([422, 'UNKNOWN_INSTRUMENT']);
    expect((refused.json as Frame).detail).toBe(
      'instrumentId: account desk trades no instrument "BTC/USDT" (it trades: BTC/X)',
    );
    const ok = await start('BTC/X');
    expect([ok.status, (ok.json as Frame).instrumentId]).toEqual([201, 'BTC/X']);
  }, 30_000);
});
