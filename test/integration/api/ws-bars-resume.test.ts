import type { FastifyInstance } from 'fastify';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { MemoryEventLog } from '../../../src/scalability/bus/memory-event-log.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { gatewayApp, minuteBar } from '../../support/ws-gateway-app.js';

interface Frame {
  readonly type: string;
  readonly seq?: number;
  readonly bar?: Bar;
  readonly bars?: readonly Bar[];
  readonly resumed?: unknown;
  readonly code?: string;
  readonly detail?: string;
}

const KEEP = 5;
const bars = (frames: readonly Frame[]) => frames.filter((f) => f.type === 'bar');
const bar = minuteBar;

/** The gateway alone (no server composition): bars through the event log, resumed, snapshotted. */
describe('WebSocket bars: a sequence per instrument, resume, snapshot past the bound', () => {
  let app: FastifyInstance;
  let url: string;
  let emitBar: (b: Bar) => void;
  let lastBar: Bar | undefined;
  const metrics = new MemoryMetrics();
  const resumes = (result: string) => metrics.value('kairos_ws_resumes_total', { result }) ?? 0;
  const emit = (b: Bar) => {
    lastBar = b;
    emitBar(b);
  };

  beforeAll(async () => {
    ({
      app,
      url,
      emit: emitBar,
    } = await gatewayApp({
      metrics,
      log: new MemoryEventLog(KEEP),
      snapshot: async (_claims, kind, key) =>
        kind === 'bars' && key === 'BTC/X' && lastBar ? [lastBar] : [],
    }));
  });
  afterAll(async () => {
    await app.close();
  });

  it('numbers bars per instrument and resumes after a sequence', async () => {
    const live = await subscribedSocket<Frame>(url, 't', ['bars']);
    for (const i of [1, 2, 3]) emit(bar(i));
    await until(() => bars(live.frames).length === 3, 5_000, 'three bars');
    expect(bars(live.frames).map((f) => [f.seq, f.bar?.close])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    live.close();
    for (const i of [4, 5, 6]) emit(bar(i));
    const back = await subscribedSocket<Frame>(url, 't', ['bars'], { 'BTC/X': 3 });
    expect(bars(back.frames).map((f) => f.seq)).toEqual([4, 5, 6]);
    expect(back.frames.at(-1)).toEqual({
      type: 'subscribed',
      channel: 'bars',
      resumed: { 'BTC/X': true },
      from: { 'BTC/X': 3 },
    });
    expect(resumes('resumed')).toBe(1);
    emit(bar(7));
    await until(() => bars(back.frames).length === 4, 5_000, 'the live bar');
    expect(bars(back.frames).map((f) => f.seq)).toEqual([4, 5, 6, 7]);
    back.close();
  });

  it('past the bound: the last bar as a snapshot with resumed: false, then live bars', async () => {
    for (let i = 8; i <= 20; i++) emit(bar(i));
    const back = await subscribedSocket<Frame>(url, 't', ['bars'], { 'BTC/X': 7 });
    expect(back.frames.find((f) => f.type === 'snapshot')).toEqual({
      type: 'snapshot',
      channel: 'bars',
      instrumentId: 'BTC/X',
      seq: 20,
      resumed: false,
      bars: [bar(20)],
    });
    expect(bars(back.frames)).toEqual([]);
    expect(resumes('snapshot')).toBe(1);
    emit(bar(21));
    await until(() => bars(back.frames).length === 1, 5_000, 'the live bar');
    expect(bars(back.frames)[0]!.seq).toBe(21);
    back.close();
  });

  it('a sequence this log never reached is treated as lost: a snapshot, not silence', async () => {
    const back = await subscribedSocket<Frame>(url, 't', ['bars'], { 'BTC/X': 1_000 });
    expect(back.frames.find((f) => f.type === 'subscribed')?.resumed).toEqual({ 'BTC/X': false });
    emit(bar(22));
    await until(() => bars(back.frames).length === 1, 5_000, 'the live bar');
    back.close();
  });

  it('refuses an instrument the server does not have, naming it', async () => {
    const ws = await subscribedSocket<Frame>(url, 't', []);
    ws.send({ type: 'subscribe', channel: 'bars', after: { 'ETH/X': 1 } });
    const e = await until(() => ws.frames.find((f) => f.type === 'error'));
    expect([e.code, e.detail]).toEqual([
      'UNKNOWN_INSTRUMENT',
      "after.ETH/X: no instrument ETH/X on this server (the replay's: BTC/X; a venue's: <venue>:<symbol>)",
    ]);
    ws.close();
  });
});

describe('WebSocket subscribe when the event log does not answer', () => {
  it('answers CACHE_UNAVAILABLE (retrying), subscribes nothing, and subscribes by itself once it answers', async () => {
    const down = new MemoryEventLog();
    let answering = false;
    const { app, url } = await gatewayApp({
      log: {
        append: (c, p, o) => down.append(c, p, o),
        read: (c, a, l) => down.read(c, a, l),
        last: async (c) => {
          if (!answering) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
          return down.last(c);
        },
        follow: (c, on, from) => down.follow(c, on, from),
      },
      subscribeRetry: { initialMs: 10, maxMs: 50, attempts: 1_000 },
    });
    try {
      const ws = await subscribedSocket<Frame>(url, 't', []);
      ws.send({ type: 'subscribe', channel: 'bars' });
      const e = await until(() => ws.frames.find((f) => f.type === 'error'));
      expect(e).toEqual({
        type: 'error',
        code: 'CACHE_UNAVAILABLE',
        channel: 'bars',
        retrying: true,
        detail:
          'bars: the event log did not answer; the server subscribes again by itself: "subscribed" follows, or a close (1013)',
      });
      expect(ws.frames.some((f) => f.type === 'subscribed')).toBe(false);
      answering = true;
      // No second `subscribe`: the server's retry goes through.
      await until(() => ws.frames.some((f) => f.type === 'subscribed'));
      ws.close();
    } finally {
      await app.close();
    }
  });
});

describe('WebSocket resume while a frame is handed on live', () => {
  // The resume asks the log where the channel ends; a frame handed on live meanwhile (the client
  // is subscribed from the tick it asked) must reach it once, in its place: found by the
  // failover test as frames 299-302, then 296-302 again.
  it.each([
    ['resumed from the log', 10, 1, [2, 3, 4, 5]],
    ['past the bound: a snapshot, then live', 3, 1, []],
    ['never reached: a snapshot, then live', 10, 1_000, []],
  ])('%s: every frame once, in order', async (_name, keep, after, want) => {
    const shared = new MemoryEventLog(keep);
    let gate: Promise<void> | undefined;
    let open = () => undefined as void;
    let asked = 0;
    const { app, url, emit } = await gatewayApp({
      log: {
        append: (c, p, o) => shared.append(c, p, o),
        read: (c, a, l) => shared.read(c, a, l),
        last: async (c) => {
          asked++;
          await gate;
          return shared.last(c);
        },
        follow: (c, on, from) => shared.follow(c, on, from),
      },
      snapshot: async () => [],
    });
    try {
      const live = await subscribedSocket<Frame>(url, 't', ['bars']);
      for (const i of [1, 2, 3]) emit(bar(i));
      await until(() => bars(live.frames).length === 3, 5_000, 'three bars');
      gate = new Promise<void>((r) => (open = r));
      const askedBefore = asked;
      const resuming = subscribedSocket<Frame>(url, 't', ['bars'], { 'BTC/X': after });
      await until(() => asked > askedBefore, 5_000, 'the resume asking the log');
      for (const i of [4, 5]) emit(bar(i));
      await until(() => bars(live.frames).length === 5, 5_000, 'the live bars handed on');
      open();
      const back = await resuming;
      emit(bar(6));
      await until(() => bars(back.frames).at(-1)?.seq === 6, 5_000, 'the next live bar');
      expect(bars(back.frames).map((f) => f.seq)).toEqual([...want, 6]);
      const snapshot = back.frames.find((f) => f.type === 'snapshot');
      expect(snapshot && [snapshot.seq, snapshot.resumed]).toEqual(
        want.length > 0 ? undefined : [5, false],
      );
      back.close();
      live.close();
    } finally {
      await app.close();
    }
  });
});
