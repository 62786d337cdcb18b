import { METRICS, RUNTIME_METRICS } from '../../../src/monitoring/metric-catalogue.js';
import { MetricsRegistry } from '../../../src/monitoring/metrics-registry.js';

const ORDERS = METRICS.orders;

/** The value of one series as prom-client holds it (undefined: never touched). */
async function value(
  m: MetricsRegistry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  const want = JSON.stringify(Object.entries(labels).sort());
  return values.find((v) => JSON.stringify(Object.entries(v.labels).sort()) === want)?.value;
}

describe('MetricsRegistry (prom-client)', () => {
  it('counts per label set, whatever the label order', async () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    const orders = m.counter(ORDERS);
    orders.inc({ venue: 'binance', status: 'FILLED' });
    orders.inc({ status: 'FILLED', venue: 'binance' }, 2);
    orders.inc({ venue: 'kraken', status: 'REJECTED' });
    expect(await value(m, 'kairos_orders_total', { status: 'FILLED', venue: 'binance' })).toBe(3);
    expect(await value(m, 'kairos_orders_total', { venue: 'kraken', status: 'REJECTED' })).toBe(1);
    expect(await value(m, 'kairos_orders_total', { venue: 'okx', status: 'FILLED' })).toBe(
      undefined,
    );
  });

  it('returns the same metric for the same definition, refuses a different one', async () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    expect(m.counter({ ...ORDERS })).toBe(m.counter(ORDERS));
    m.counter(ORDERS).inc({ venue: 'binance', status: 'NEW' });
    m.counter({ ...ORDERS }).inc({ venue: 'binance', status: 'NEW' });
    expect(await value(m, 'kairos_orders_total', { venue: 'binance', status: 'NEW' })).toBe(2);
    expect(() => m.gauge(ORDERS)).toThrow('kairos_orders_total: already created as a counter');
    expect(() => m.counter({ ...ORDERS, labelNames: ['venue'] })).toThrow(/another definition/);
    expect(() => m.counter({ ...ORDERS, help: 'other' })).toThrow(/another definition/);
  });

  it('refuses a name a runtime collector already uses', () => {
    const m = new MetricsRegistry();
    expect(() => m.gauge({ name: RUNTIME_METRICS.heapUsed, help: 'mine' })).toThrow(
      /already a runtime metric/,
    );
  });

  it('refuses labels other than the declared ones, and bad names', () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    const orders = m.counter(ORDERS);
    expect(() => orders.inc({ venue: 'binance' })).toThrow(
      'kairos_orders_total: labels must be exactly [venue, status], were [venue]',
    );
    expect(() => orders.inc({ venue: 'b', status: 'NEW', orderId: '1' })).toThrow(/labels must be/);
    expect(() => m.gauge(METRICS.wsClients).set(1, { route: '/x' })).toThrow(/labels must be/);
    expect(() => m.histogram(METRICS.dbCommit).observe(0.1, { x: 'y' })).toThrow(/labels must/);
    expect(() => m.counter({ name: 'kairos-orders', help: '' })).toThrow(/metric name/);
    expect(() => m.counter({ name: 'x', help: '', labelNames: ['__x'] })).toThrow(/label "__x"/);
    expect(() => m.counter({ name: 'x', help: '', labelNames: ['a', 'a'] })).toThrow(/repeated/);
  });

  it('a counter only goes up; values are finite', () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    const c = m.counter({ name: 'c_total', help: 'c' });
    expect(() => c.inc({}, -1)).toThrow('c_total: a counter only goes up');
    expect(() => c.inc({}, Number.NaN)).toThrow(/only goes up/);
    expect(() => m.gauge(METRICS.wsClients).set(Infinity)).toThrow(/finite/);
    expect(() => m.histogram(METRICS.dbCommit).observe(Number.NaN)).toThrow(/finite/);
  });

  it('gauges are set and moved', async () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    const pool = m.gauge(METRICS.dbPool);
    pool.set(5, { state: 'idle' });
    pool.add(-2, { state: 'idle' });
    pool.add(undefined, { state: 'idle' });
    expect(await value(m, 'kairos_db_pool_connections', { state: 'idle' })).toBe(4);
  });

  it('histograms keep count, sum and cumulative buckets, in the text exposition', async () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    const latency = m.histogram({
      name: 'kairos_test_latency_seconds',
      help: 'tick to ack',
      unit: 'seconds',
      buckets: [0.01, 0.1, 1],
    });
    for (const v of [0.005, 0.05, 0.05, 2]) latency.observe(v);
    const text = await m.text();
    expect(text).toContain('# TYPE kairos_test_latency_seconds histogram');
    expect(text).toContain('kairos_test_latency_seconds_bucket{le="0.01"} 1');
    expect(text).toContain('kairos_test_latency_seconds_bucket{le="0.1"} 3');
    expect(text).toContain('kairos_test_latency_seconds_bucket{le="1"} 3');
    expect(text).toContain('kairos_test_latency_seconds_bucket{le="+Inf"} 4');
    expect(text).toContain('kairos_test_latency_seconds_sum 2.105');
    expect(text).toContain('kairos_test_latency_seconds_count 4');
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('publishes the runtime metrics the alarms use, and keeps units as metadata', async () => {
    const m = new MetricsRegistry();
    m.histogram(METRICS.orderLatency);
    m.counter(METRICS.fills);
    const text = await m.text();
    expect(text).toContain(`# TYPE ${RUNTIME_METRICS.eventLoopLagP99} gauge`);
    expect(text).toContain(`# TYPE ${RUNTIME_METRICS.heapUsed} gauge`);
    expect(m.unitOf('kairos_order_latency_seconds')).toBe('seconds');
    expect(m.unitOf('kairos_fills_total')).toBe('count');
    expect(m.unitOf('nodejs_heap_size_used_bytes')).toBeUndefined();
    expect(m.names()).toEqual(['kairos_fills_total', 'kairos_order_latency_seconds']);
    const json = await m.registry.getMetricsAsJSON();
    expect(json.map((j) => j.name)).toContain('kairos_order_latency_seconds');
  });

  it('two registries in one process keep their own series', async () => {
    const a = new MetricsRegistry({ defaultMetrics: false });
    const b = new MetricsRegistry({ defaultMetrics: false });
    a.counter(METRICS.fills).inc({ venue: 'x' });
    expect(await value(a, 'kairos_fills_total', { venue: 'x' })).toBe(1);
    expect(await value(b, 'kairos_fills_total', { venue: 'x' })).toBeUndefined();
  });
});
