import { InvariantError } from './errors.js';

/**
 * Label values of one series (Prometheus labels, CloudWatch dimensions). Values must come from
 * a small, bounded set (a venue, a status, a reason code), never an order or user id.
 */
export type MetricLabels = Readonly<Record<string, string>>;

/** The unit of a metric's values (base units, as Prometheus names and CloudWatch units want). */
export type MetricUnit = 'seconds' | 'bytes' | 'count' | 'ratio' | 'none';

/** What every metric declares once, when it is created. */
export interface MetricDefinition {
  /** Prometheus style: `kairos_orders_total`, `kairos_order_latency_seconds`. */
  readonly name: string;
  /** One line for people (Prometheus `# HELP`). */
  readonly help: string;
  /** The label names every observation must give, no more and no fewer (default none). */
  readonly labelNames?: readonly string[];
  /** Default `count` for counters, `none` otherwise. */
  readonly unit?: MetricUnit;
}

/** A histogram's definition: its bucket upper bounds (Prometheus; CloudWatch keeps values). */
export interface HistogramDefinition extends MetricDefinition {
  /** Increasing upper bounds; default {@link DEFAULT_BUCKETS}. */
  readonly buckets?: readonly number[];
}

/** A value that only goes up (orders submitted, denials by reason). */
export interface Counter {
  /** Adds `value` (default 1, never negative) to the series of `labels`. */
  inc(labels?: MetricLabels, value?: number): void;
}

/** A value that goes up and down (open orders, connected clients, kill-switch state). */
export interface Gauge {
  set(value: number, labels?: MetricLabels): void;
  /** Adds `delta` (default 1; negative to lower it). */
  add(delta?: number, labels?: MetricLabels): void;
}

/** A distribution of observed values (latencies, sizes). */
export interface Histogram {
  observe(value: number, labels?: MetricLabels): void;
}

/**
 * The metrics port. Engines create their metrics once and update them on the hot path; an
 * implementation in `src/monitoring` keeps them (in memory now; a Prometheus registry and
 * CloudWatch EMF later). Creating a metric again with the same definition returns the same one.
 *
 * @example
 * const orders = metrics.counter({ name: 'kairos_orders_total', help: 'orders by status',
 *   labelNames: ['venue', 'status'] });
 * orders.inc({ venue: 'binance', status: 'FILLED' });
 */
export interface Metrics {
  counter(definition: MetricDefinition): Counter;
  gauge(definition: MetricDefinition): Gauge;
  histogram(definition: HistogramDefinition): Histogram;
}

/** Prometheus's default buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Checks a definition against the rules both Prometheus and CloudWatch accept (a bad one is a
 * bug in our code, so it throws `InvariantError`).
 *
 * @example
 * checkMetricDefinition({ name: 'kairos_fills_total', help: 'fills' });
 */
export function checkMetricDefinition(definition: HistogramDefinition): void {
  const { name, labelNames = [], buckets } = definition;
  if (!METRIC_NAME.test(name))
    throw new InvariantError(
      'METRIC_INVALID',
      `${name}: a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith('__'))
      throw new InvariantError(
        'METRIC_INVALID',
        `${name}: label "${label}" must be [a-zA-Z_][a-zA-Z0-9_]* and not start with __`,
      );
  }
  if (new Set(labelNames).size !== labelNames.length)
    throw new InvariantError('METRIC_INVALID', `${name}: a label name is repeated`);
  if (buckets !== undefined && !buckets.every((b, i) => i === 0 || b > buckets[i - 1]!))
    throw new InvariantError('METRIC_INVALID', `${name}: buckets must increase`);
}

/**
 * Checks that `labels` give exactly the declared label names (throws `InvariantError`).
 *
 * @example
 * checkLabels(definition, { venue: 'binance', status: 'FILLED' });
 */
export function checkLabels(definition: MetricDefinition, labels: MetricLabels = {}): void {
  const declared = definition.labelNames ?? [];
  const given = Object.keys(labels);
  if (given.length !== declared.length || !declared.every((l) => typeof labels[l] === 'string'))
    throw new InvariantError(
      'METRIC_LABELS',
      `${definition.name}: labels must be exactly [${declared.join(', ')}], were [${given.join(', ')}]`,
    );
}

/**
 * A value an observation may record: finite (a NaN or Infinity is our bug: `InvariantError`).
 *
 * @example
 * finiteMetricValue(definition, 0.004); // 0.004
 */
export function finiteMetricValue(definition: MetricDefinition, value: number): number {
  if (!Number.isFinite(value))
    throw new InvariantError(
      'METRIC_VALUE',
      `${definition.name}: value must be finite (was ${value})`,
    );
  return value;
}

/**
 * Whether two definitions of one name agree (help, unit, labels, buckets): creating a metric
 * again is allowed only with the same definition.
 *
 * @example
 * sameMetricDefinition(METRICS.fills, METRICS.fills); // true
 */
export function sameMetricDefinition(a: HistogramDefinition, b: HistogramDefinition): boolean {
  const list = (x: readonly unknown[] | undefined) => JSON.stringify(x ?? null);
  return (
    a.help === b.help &&
    a.unit === b.unit &&
    list(a.labelNames) === list(b.labelNames) &&
    list(a.buckets) === list(b.buckets)
  );
}

const noopCounter: Counter = { inc: () => undefined };
const noopGauge: Gauge = { set: () => undefined, add: () => undefined };
const noopHistogram: Histogram = { observe: () => undefined };

/**
 * Metrics that keep nothing: the default of every component that takes optional metrics.
 *
 * @example
 * const metrics = options.metrics ?? noopMetrics;
 */
export const noopMetrics: Metrics = {
  counter: () => noopCounter,
  gauge: () => noopGauge,
  histogram: () => noopHistogram,
};
