import fc from 'fast-check';
import {
  checkLabels,
  checkMetricDefinition,
  finiteMetricValue,
  sameMetricDefinition,
  type HistogramDefinition,
} from '../../../../src/trading/core/metrics.js';

// The rules every metrics implementation (memory, Prometheus registry, CloudWatch) applies
// through the port: a metric that Prometheus or CloudWatch would refuse, or two components that
// disagree on what a metric means, is our bug and must stop at creation, not at scrape time.

const LETTERS = 'abcxyzABCXYZ';
const DIGITS = '0189';
/** Names made of the characters that matter: allowed ones and a few that are not. */
const name = fc.string({
  unit: fc.constantFrom(...LETTERS, ...DIGITS, '_', ':', '-', '.', ' ', 'é'),
  maxLength: 8,
});

const isLetter = (c: string) => LETTERS.includes(c);
const isDigit = (c: string) => DIGITS.includes(c);
/** Prometheus's metric name rule, character by character: [a-zA-Z_:][a-zA-Z0-9_:]*. */
const validMetricName = (s: string) =>
  s.length > 0 &&
  [...s].every((c, i) => isLetter(c) || c === '_' || c === ':' || (i > 0 && isDigit(c)));
/** Its label name rule, [a-zA-Z_][a-zA-Z0-9_]*, and `__` is reserved. */
const validLabelName = (s: string) =>
  s.length > 0 &&
  !s.startsWith('__') &&
  [...s].every((c, i) => isLetter(c) || c === '_' || (i > 0 && isDigit(c)));

/** `f` throws the `InvariantError` with `code`, or (`code` null) does not throw. */
function expectCode(f: () => unknown, code: string | null): void {
  if (code === null) expect(f).not.toThrow();
  else expect(f).toThrow(expect.objectContaining({ name: 'InvariantError', code }));
}

describe('the rules of the metrics port', () => {
  it('accepts a metric name exactly when Prometheus would: a letter, _ or : first, then digits too', () => {
    fc.assert(
      fc.property(name, (n) => {
        expectCode(
          () => checkMetricDefinition({ name: n, help: '' }),
          validMetricName(n) ? null : 'METRIC_INVALID',
        );
      }),
      { numRuns: 500 },
    );
    for (const bad of ['1orders', 'orders-total', 'kairos orders', ''])
      expectCode(() => checkMetricDefinition({ name: bad, help: '' }), 'METRIC_INVALID');
    for (const good of ['kairos:orders_total', '_x', 'a1'])
      expectCode(() => checkMetricDefinition({ name: good, help: '' }), null);
  });

  it('accepts a label name exactly when Prometheus would, never one starting with __', () => {
    fc.assert(
      fc.property(name, (label) => {
        expectCode(
          () => checkMetricDefinition({ name: 'm', help: '', labelNames: ['venue', label] }),
          validLabelName(label) && label !== 'venue' ? null : 'METRIC_INVALID',
        );
      }),
      { numRuns: 500 },
    );
    for (const bad of ['1venue', 'venue:id', 'ven-ue', '__name', ''])
      expectCode(
        () => checkMetricDefinition({ name: 'm', help: '', labelNames: [bad] }),
        'METRIC_INVALID',
      );
    expectCode(
      () => checkMetricDefinition({ name: 'm', help: '', labelNames: ['venue', 'venue'] }),
      'METRIC_INVALID',
    );
    for (const good of ['_venue', 'v1', 'a_'])
      expectCode(() => checkMetricDefinition({ name: 'm', help: '', labelNames: [good] }), null);
  });

  it('takes histogram buckets only in strictly increasing order', () => {
    const define = (buckets: number[]) => () =>
      checkMetricDefinition({ name: 'h', help: '', buckets });
    for (const good of [[], [0.5], [0.01, 0.1, 1, 10]]) expectCode(define(good), null);
    for (const bad of [
      [0.1, 0.1],
      [1, 0.5],
      [0.1, 1, 0.5],
    ])
      expectCode(define(bad), 'METRIC_INVALID');
  });

  it('takes an observation only with exactly the declared labels, each a string', () => {
    const orders = { name: 'kairos_orders_total', help: '', labelNames: ['venue', 'status'] };
    const observe = (labels?: Record<string, unknown>) => () =>
      checkLabels(orders, labels as Record<string, string>);
    expectCode(observe({ venue: 'binance', status: 'FILLED' }), null);
    expectCode(observe({ status: 'FILLED', venue: 'binance' }), null);
    expectCode(observe({ venue: 'binance', state: 'FILLED' }), 'METRIC_LABELS');
    expectCode(observe({ venue: 'binance', status: 3 }), 'METRIC_LABELS');
    expectCode(observe({ venue: 'binance' }), 'METRIC_LABELS');
    expectCode(observe(), 'METRIC_LABELS');
    expectCode(() => checkLabels({ name: 'up', help: '' }), null);
    expectCode(() => checkLabels({ name: 'up', help: '' }, { venue: 'x' }), 'METRIC_LABELS');
    // the refusal names both lists, so the operator sees which label is wrong
    expect(observe({ venue: 'binance', state: 'FILLED' })).toThrow(
      'kairos_orders_total: labels must be exactly [venue, status], were [venue, state]',
    );
  });

  it('records only finite values, unchanged', () => {
    const d = { name: 'kairos_order_latency_seconds', help: '' };
    for (const v of [0, -0.25, 0.004, 1e300]) expect(finiteMetricValue(d, v)).toBe(v);
    for (const v of [Number.NaN, Infinity, -Infinity])
      expectCode(() => finiteMetricValue(d, v), 'METRIC_VALUE');
  });

  it('calls two definitions of a metric the same only when help, unit, labels and buckets agree', () => {
    const base: HistogramDefinition = {
      name: 'kairos_order_latency_seconds',
      help: 'tick to ack',
      unit: 'seconds',
      labelNames: ['venue'],
      buckets: [0.01, 0.1, 1],
    };
    expect(
      sameMetricDefinition(base, { ...base, labelNames: ['venue'], buckets: [0.01, 0.1, 1] }),
    ).toBe(true);
    const changes: Partial<HistogramDefinition>[] = [
      { help: 'ack latency' },
      { unit: 'none' },
      { unit: undefined },
      { labelNames: ['status'] },
      { labelNames: undefined },
      { buckets: [0.01, 0.1, 2] },
      { buckets: undefined },
    ];
    for (const change of changes) {
      expect(sameMetricDefinition(base, { ...base, ...change })).toBe(false);
      expect(sameMetricDefinition({ ...base, ...change }, base)).toBe(false);
    }
    const plain = { name: 'kairos_fills_total', help: 'fills' };
    expect(sameMetricDefinition(plain, { ...plain })).toBe(true);
  });
});
