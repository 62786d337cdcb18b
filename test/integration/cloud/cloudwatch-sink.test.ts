import {
  cloudWatchClient,
  PutMetricDataSink,
} from '../../../src/cloud/cloudwatch/put-metric-data-sink.js';
import { IntervalMetrics } from '../../../src/cloud/cloudwatch/interval-metrics.js';
import { METRICS } from '../../../src/monitoring/metric-catalogue.js';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { startFakeCloudWatch, type FakeCloudWatch } from '../../support/fake-cloudwatch.js';
import { until as waitFor } from '../../support/until.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

function setup(endpoint: string, over: { maxBuffered?: number; requestTimeoutMs?: number } = {}) {
  const source = new IntervalMetrics();
  const own = new MemoryMetrics();
  const { requestTimeoutMs, ...rest } = over;
  const sink = new PutMetricDataSink({
    client: cloudWatchClient({
      region: 'eu-west-1',
      endpoint,
      ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    }),
    source,
    namespace: 'Kairos',
    dimensions: { Service: 'kairos', Stage: 'test' },
    dropped: own.counter(METRICS.metricsDropped),
    now: () => NOW,
    ...rest,
  });
  return { source, own, sink };
}

describe('PutMetricDataSink against a local CloudWatch endpoint', () => {
  let cw: FakeCloudWatch;
  beforeEach(async () => {
    cw = await startFakeCloudWatch();
  });
  afterEach(async () => {
    await cw.close();
  });

  it('sends every datum, in requests of at most 1,000, with the dimensions and units CloudWatch takes', async () => {
    const { source, sink } = setup(cw.url);
    const orders = source.counter(METRICS.orders);
    for (let i = 0; i < 2500; i++) orders.inc({ venue: `v${i}`, status: 'FILLED' }, i + 1);
    const latency = source.histogram(METRICS.orderLatency);
    for (let i = 0; i < 400; i++) latency.observe(0.0001 * i, { venue: 'binance' });
    sink.flush();
    await waitFor(() => sink.stats.datums >= 5006, 10_000, 'every datum sent');

    expect(cw.refused).toEqual([]);
    expect(cw.requests.length).toBeGreaterThanOrEqual(6);
    for (const r of cw.requests) {
      expect(r.Namespace).toBe('Kairos');
      expect(r.MetricData.length).toBeLessThanOrEqual(1000);
    }
    const data = cw.requests.flatMap((r) => r.MetricData);
    const v7 = data.find((d) => d.Dimensions?.some((x) => x.Value === 'v7'));
    expect(v7).toMatchObject({
      MetricName: 'kairos_orders_total',
      Value: 8,
      Unit: 'Count',
      Timestamp: NOW / 1000,
      Dimensions: [
        { Name: 'Service', Value: 'kairos' },
        { Name: 'Stage', Value: 'test' },
        { Name: 'venue', Value: 'v7' },
        { Name: 'status', Value: 'FILLED' },
      ],
    });
    // Each labelled series also goes rolled up to the deployment's dimensions (what alarms read).
    const rolled = data.filter(
      (d) => d.MetricName === 'kairos_orders_total' && d.Dimensions!.length === 2,
    );
    expect(rolled.length).toBe(2500);
    expect(rolled.reduce((a, d) => a + d.Value!, 0)).toBe((2500 * 2501) / 2);
    const dist = data.filter(
      (d) => d.MetricName === 'kairos_order_latency_seconds' && d.Dimensions!.length === 3,
    );
    expect(dist.length).toBe(3); // 400 distinct values, 150 a datum
    expect(dist.every((d) => d.Unit === 'Seconds')).toBe(true);
    expect(dist.flatMap((d) => d.Counts!).reduce((a, b) => a + b, 0)).toBe(400);
    expect(Math.max(...dist.flatMap((d) => d.Values!))).toBeCloseTo(0.0399, 6);

    // The next interval carries only what changed since: counters start again.
    orders.inc({ venue: 'v1', status: 'FILLED' });
    const before = cw.requests.length;
    sink.flush();
    await waitFor(() => cw.requests.length > before, 10_000, 'the next interval');
    expect(cw.requests.at(-1)!.MetricData).toEqual([
      expect.objectContaining({ MetricName: 'kairos_orders_total', Value: 1 }),
      expect.objectContaining({ MetricName: 'kairos_orders_total', Value: 1 }),
    ]);
  });

  it('a failing endpoint is retried by the SDK, then its data is dropped and counted: flush never throws', async () => {
    const { source, own, sink } = setup(cw.url);
    cw.mode = 'fail';
    source.counter(METRICS.fills).inc({ venue: 'binance' }, 3);
    sink.flush();
    await waitFor(() => sink.stats.failedRequests === 1, 20_000, 'the request given up');
    expect(cw.refused.length).toBe(3); // the SDK's three attempts
    expect(own.value(METRICS.metricsDropped.name, { sink: 'cloudwatch' })).toBe(2); // series + roll-up

    cw.mode = 'ok';
    source.counter(METRICS.fills).inc({ venue: 'binance' }, 2);
    sink.flush();
    await waitFor(() => cw.requests.length === 1, 10_000, 'sent once it is back');
    expect(cw.requests[0]!.MetricData[0]).toMatchObject({
      MetricName: 'kairos_fills_total',
      Value: 2,
    });
  });

  it('a hanging endpoint never holds the caller and the buffer stays bounded (oldest dropped, counted)', async () => {
    const { source, own, sink } = setup(cw.url, { maxBuffered: 100 });
    cw.mode = 'hang';
    const fills = source.counter(METRICS.fills);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 60; i++) fills.inc({ venue: `v${round}-${i}` });
      sink.flush(); // returns at once: the request is in flight, the buffer takes the rest
    }
    // 120 datums a round (each series and its roll-up): the buffer keeps the newest 100 of the
    // first round, which go in flight and hang; of the 480 after them it keeps 100 again.
    expect(sink.stats.dropped).toBe(20 + 380);
    expect(own.value(METRICS.metricsDropped.name, { sink: 'cloudwatch' })).toBe(400);
    await sink.stop(50);
  });

  it('a request the endpoint never answers times out and frees the sink: data flows once it is back', async () => {
    const { source, own, sink } = setup(cw.url, { requestTimeoutMs: 200 });
    cw.mode = 'hang';
    source.counter(METRICS.fills).inc({ venue: 'binance' });
    sink.flush();
    await waitFor(() => sink.stats.failedRequests === 1, 20_000, 'the hung request given up');
    expect(own.value(METRICS.metricsDropped.name, { sink: 'cloudwatch' })).toBe(2);
    cw.mode = 'ok';
    source.counter(METRICS.fills).inc({ venue: 'binance' }, 4);
    sink.flush();
    await waitFor(() => cw.requests.length === 1, 10_000, 'sent once the endpoint answers');
    expect(cw.requests[0]!.MetricData[0]).toMatchObject({
      MetricName: 'kairos_fills_total',
      Value: 4,
    });
  });
});
