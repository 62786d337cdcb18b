import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { noopMetrics } from '../../../src/trading/core/metrics.js';

const ORDERS = {
  name: 'kairos_orders_total',
  help: 'orders by status',
  labelNames: ['venue', 'status'],
};

describe('in-memory metrics', () => {
  it('counts per label set, whatever the label order', () => {
    const m = new MemoryMetrics();
    const orders = m.counter(ORDERS);
    orders.inc({ venue: 'binance', status: 'FILLED' });
    orders.inc({ status: 'FILLED', venue: 'binance' }, 2);
    orders.inc({ venue: 'kraken', status: 'REJECTED' });
    expect(m.value('kairos_orders_total', { status: 'FILLED', venue: 'binance' })).toBe(3);
    expect(m.value('kairos_orders_total', { venue: 'kraken', status: 'REJECTED' })).toBe(1);
    expect(m.value('kairos_orders_total', { venue: 'okx', status: 'FILLED' })).toBeUndefined();
    expect(m.series('kairos_orders_total')).toHaveLength(2);
  });

  it('returns the same metric for the same definition, refuses a different one', () => {
    const m = new MemoryMetrics();
    m.counter(ORDERS).inc({ venue: 'binance', status: 'NEW' });
    m.counter({ ...ORDERS }).inc({ venue: 'binance', status: 'NEW' });
    expect(m.value('kairos_orders_total', { venue: 'binance', status: 'NEW' })).toBe(2);
    expect(() => m.gauge(ORDERS)).toThrow('kairos_orders_total: already created as a counter');
    expect(() => m.counter({ ...ORDERS, labelNames: ['venue'] })).toThrow(/another definition/);
  });

  it('refuses labels other than the declared ones, and bad names', () => {
    const m = new MemoryMetrics();
    const orders = m.counter(ORDERS);
    expect(() => orders.inc({ venue: 'binance' })).toThrow(
      'kairos_orders_total: labels must be exactly [venue, status], were [venue]',
    );
    expect(() => orders.inc({ venue: 'b', status: 'NEW', orderId: '1' })).toThrow(/labels must be/);
    expect(() => m.counter({ name: 'kairos-orders', help: '' })).toThrow(/metric name/);
    expect(() => m.counter({ name: 'x', help: '', labelNames: ['__x'] })).toThrow(/label "__x"/);
    expect(() => m.counter({ name: 'x', help: '', labelNames: ['a', 'a'] })).toThrow(/repeated/);
  });

  it('a counter only goes up', () => {
    const c = new MemoryMetrics().counter({ name: 'c', help: '' });
    expect(() => c.inc({}, -1)).toThrow('c: a counter only goes up');
    expect(() => c.inc({}, Number.NaN)).toThrow(/only goes up/);
  });

  it('gauges are set and moved', () => {
    const m = new MemoryMetrics();
    const open = m.gauge({
      name: 'kairos_open_orders',
      help: 'open orders',
      labelNames: ['venue'],
    });
    open.set(5, { venue: 'binance' });
    open.add(-2, { venue: 'binance' });
    open.add(undefined, { venue: 'binance' });
    expect(m.value('kairos_open_orders', { venue: 'binance' })).toBe(4);
    expect(() => open.set(Infinity, { venue: 'binance' })).toThrow(/finite/);
  });

  it('histograms keep count, sum and cumulative buckets', () => {
    const m = new MemoryMetrics();
    const latency = m.histogram({
      name: 'kairos_order_latency_seconds',
      help: 'tick to ack',
      unit: 'seconds',
      buckets: [0.01, 0.1, 1],
    });
    for (const v of [0.005, 0.05, 0.05, 2]) latency.observe(v);
    expect(m.histogramValue('kairos_order_latency_seconds')).toEqual({
      count: 4,
      sum: 2.105,
      buckets: [
        { le: 0.01, count: 1 },
        { le: 0.1, count: 3 },
        { le: 1, count: 3 },
        { le: Infinity, count: 4 },
      ],
    });
    expect(() => m.value('kairos_order_latency_seconds')).toThrow(/histogramValue/);
    expect(() => m.histogram({ name: 'h', help: '', buckets: [1, 1] })).toThrow(/increase/);
    expect(m.names()).toEqual(['kairos_order_latency_seconds']);
  });
});

describe('metrics port', () => {
  it('has no-op metrics that accept anything', () => {
    expect(() => {
      noopMetrics.counter(ORDERS).inc({ whatever: 'x' });
      noopMetrics.gauge(ORDERS).set(1);
      noopMetrics.histogram(ORDERS).observe(1);
    }).not.toThrow();
  });
});
