import fc from 'fast-check';
import { emfLines } from '../../../src/cloud/cloudwatch/emf-lines.js';
import { IntervalMetrics } from '../../../src/cloud/cloudwatch/interval-metrics.js';
import { METRICS } from '../../../src/monitoring/metric-catalogue.js';
import { checkEmf } from '../../support/emf-check.js';

const OPTS = {
  namespace: 'Kairos',
  dimensions: { Service: 'kairos' },
  timestamp: 1_764_763_200_000,
};

describe('emfLines', () => {
  it('writes valid EMF: metrics sharing dimension values share a document', () => {
    const m = new IntervalMetrics();
    m.counter(METRICS.orders).inc({ venue: 'binance', status: 'FILLED' }, 3);
    m.counter(METRICS.fills).inc({ venue: 'binance' }, 2);
    m.gauge(METRICS.wsClients).set(4);
    m.gauge(METRICS.unresolvedOrders).set(1);
    const docs = emfLines(m.drain(), OPTS).map(checkEmf);
    expect(docs).toHaveLength(3);
    const plain = docs.find((d) => 'kairos_ws_clients' in d)!;
    expect(plain).toMatchObject({
      Service: 'kairos',
      kairos_ws_clients: 4,
      kairos_unresolved_orders: 1,
    });
    const fills = docs.find((d) => 'kairos_fills_total' in d)!;
    expect(fills).toMatchObject({ venue: 'binance', kairos_fills_total: 2 });
    expect(fills).not.toHaveProperty('status');
    // Labelled: also rolled up to the deployment's dimensions; unlabelled: one dimension set.
    expect(
      (fills._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!
        .Dimensions,
    ).toEqual([['Service', 'venue'], ['Service']]);
    expect(
      (plain._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!
        .Dimensions,
    ).toEqual([['Service']]);
  });

  it('a histogram: at most 100 values taken evenly from the sorted observations, exact count and sum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 2000 }),
        (xs) => {
          const m = new IntervalMetrics();
          const h = m.histogram(METRICS.orderLatency);
          for (const x of xs) h.observe(x, { venue: 'binance' });
          const [doc] = emfLines(m.drain(), OPTS).map(checkEmf);
          const sample = doc!.kairos_order_latency_seconds as number[];
          const sorted = xs.map((x) => Number(x.toPrecision(3))).sort((a, b) => a - b);
          expect(sample.length).toBe(Math.min(100, xs.length));
          expect(sample[0]).toBe(sorted[0]);
          expect(sample.at(-1)).toBe(sorted.at(-1));
          expect([...sample].sort((a, b) => a - b)).toEqual(sample);
          // The median of the sample is the median of the observations (within one step).
          const mid = sample[Math.floor((sample.length - 1) / 2)]!;
          const rank = sorted.filter((x) => x <= mid).length / sorted.length;
          expect(rank).toBeGreaterThanOrEqual(0.5 - 1 / sample.length);
          expect(doc!.kairos_order_latency_seconds_count).toBe(xs.length);
          expect(doc!.kairos_order_latency_seconds_sum).toBeCloseTo(
            xs.reduce((a, b) => a + b, 0),
            6,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('more than 100 metrics with the same dimensions go in several documents', () => {
    const m = new IntervalMetrics();
    for (let i = 0; i < 130; i++) m.counter({ name: `kairos_test_${i}_total`, help: 'test' }).inc();
    const docs = emfLines(m.drain(), OPTS).map(checkEmf);
    expect(docs.map((d) => Object.keys(d).filter((k) => k.startsWith('kairos_')).length)).toEqual([
      100, 30,
    ]);
  });
});

describe('IntervalMetrics', () => {
  it('counters give the increase since the last drain, gauges their level every time, histograms reset', () => {
    const m = new IntervalMetrics();
    const c = m.counter(METRICS.fills);
    const g = m.gauge(METRICS.wsClients);
    const h = m.histogram(METRICS.dbCommit);
    c.inc({ venue: 'a' }, 2);
    c.inc({ venue: 'a' });
    g.set(5);
    g.add(-2);
    h.observe(0.0012345);
    h.observe(0.0012345);
    h.observe(0.5);
    expect(m.drain()).toEqual([
      {
        name: 'kairos_fills_total',
        unit: 'count',
        labels: { venue: 'a' },
        kind: 'value',
        value: 3,
      },
      { name: 'kairos_ws_clients', unit: 'none', labels: {}, kind: 'value', value: 3 },
      {
        name: 'kairos_db_commit_duration_seconds',
        unit: 'seconds',
        labels: {},
        kind: 'distribution',
        values: [0.00123, 0.5],
        counts: [2, 1],
        sum: 0.0012345 * 2 + 0.5,
        min: 0.0012345,
        max: 0.5,
      },
    ]);
    expect(m.drain()).toEqual([
      { name: 'kairos_ws_clients', unit: 'none', labels: {}, kind: 'value', value: 3 },
    ]);
  });

  it('refuses labels other than the declared ones', () => {
    const m = new IntervalMetrics();
    expect(() => m.counter(METRICS.fills).inc({ venue: 'a', user: 'u1' })).toThrow(
      /labels must be exactly/,
    );
  });
});
