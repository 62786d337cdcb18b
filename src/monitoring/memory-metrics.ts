import { InvariantError } from '../trading/core/errors.js';
import {
  checkLabels,
  checkMetricDefinition,
  finiteMetricValue,
  sameMetricDefinition,
  DEFAULT_BUCKETS,
  type Counter,
  type Gauge,
  type Histogram,
  type HistogramDefinition,
  type MetricDefinition,
  type MetricLabels,
  type Metrics,
} from '../trading/core/metrics.js';

/** What a histogram series holds: count, sum and the cumulative count of each bucket. */
export interface HistogramValue {
  readonly count: number;
  readonly sum: number;
  /** `le`: the bucket's upper bound (the last is `Infinity`); `count`: values ≤ it. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface Family {
  readonly kind: Kind;
  readonly definition: HistogramDefinition;
  readonly series: Map<string, { labels: MetricLabels; value: number; hist?: MutableHistogram }>;
}

interface MutableHistogram {
  count: number;
  sum: number;
  readonly bounds: readonly number[];
  readonly counts: number[];
}

/** One series key for a set of labels, whatever their order. */
function seriesKey(labels: MetricLabels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Metrics kept in memory, readable back: what tests assert on, and the store behind a future
 * Prometheus or CloudWatch exporter. Each histogram series keeps count, sum and buckets, not
 * every value, so memory stays bounded.
 *
 * @example
 * const metrics = new MemoryMetrics();
 * metrics.counter({ name: 'kairos_fills_total', help: 'fills', labelNames: ['venue'] })
 *   .inc({ venue: 'binance' });
 * metrics.value('kairos_fills_total', { venue: 'binance' }); // 1
 */
export class MemoryMetrics implements Metrics {
  private readonly families = new Map<string, Family>();

  counter(definition: MetricDefinition): Counter {
    const family = this.family('counter', definition);
    return {
      inc: (labels = {}, value = 1) => {
        if (!Number.isFinite(value) || value < 0)
          throw new InvariantError(
            'METRIC_VALUE',
            `${definition.name}: a counter only goes up, by a finite amount ≥ 0 (was ${value})`,
          );
        this.seriesOf(family, labels).value += value;
      },
    };
  }

  gauge(definition: MetricDefinition): Gauge {
    const family = this.family('gauge', definition);
    return {
      set: (value, labels = {}) => {
        this.seriesOf(family, labels).value = finiteMetricValue(definition, value);
      },
      add: (delta = 1, labels = {}) => {
        this.seriesOf(family, labels).value += finiteMetricValue(definition, delta);
      },
    };
  }

  histogram(definition: HistogramDefinition): Histogram {
    const family = this.family('histogram', definition);
    return {
      observe: (value, labels = {}) => {
        const s = this.seriesOf(family, labels);
        const v = finiteMetricValue(definition, value);
        const h = (s.hist ??= {
          count: 0,
          sum: 0,
          bounds: definition.buckets ?? DEFAULT_BUCKETS,
          counts: new Array<number>((definition.buckets ?? DEFAULT_BUCKETS).length).fill(0),
        });
        h.count += 1;
        h.sum += v;
        h.bounds.forEach((le, i) => {
          if (v <= le) h.counts[i]! += 1;
        });
      },
    };
  }

  /** The metric names created so far, sorted. */
  names(): string[] {
    return [...this.families.keys()].sort();
  }

  /** A counter's or gauge's value for `labels` (undefined: never touched). */
  value(name: string, labels: MetricLabels = {}): number | undefined {
    const family = this.families.get(name);
    if (family?.kind === 'histogram')
      throw new InvariantError('METRIC_KIND', `${name}: a histogram; read it with histogramValue`);
    return family?.series.get(seriesKey(labels))?.value;
  }

  /** A histogram's series for `labels` (undefined: nothing observed). */
  histogramValue(name: string, labels: MetricLabels = {}): HistogramValue | undefined {
    const family = this.families.get(name);
    if (family !== undefined && family.kind !== 'histogram')
      throw new InvariantError('METRIC_KIND', `${name}: a ${family.kind}; read it with value`);
    const h = family?.series.get(seriesKey(labels))?.hist;
    if (h === undefined) return undefined;
    return {
      count: h.count,
      sum: h.sum,
      buckets: [
        ...h.bounds.map((le, i) => ({ le, count: h.counts[i]! })),
        { le: Infinity, count: h.count },
      ],
    };
  }

  /** Every series of `name` with its labels (counters and gauges: the value; histograms: count). */
  series(name: string): { labels: MetricLabels; value: number }[] {
    const family = this.families.get(name);
    if (family === undefined) return [];
    return [...family.series.values()].map((s) => ({
      labels: s.labels,
      value: s.hist?.count ?? s.value,
    }));
  }

  private family(kind: Kind, definition: HistogramDefinition): Family {
    checkMetricDefinition(definition);
    const existing = this.families.get(definition.name);
    if (existing !== undefined) {
      if (existing.kind !== kind || !sameMetricDefinition(existing.definition, definition))
        throw new InvariantError(
          'METRIC_CONFLICT',
          `${definition.name}: already created as a ${existing.kind} with another definition`,
        );
      return existing;
    }
    const family: Family = { kind, definition, series: new Map() };
    this.families.set(definition.name, family);
    return family;
  }

  private seriesOf(family: Family, labels: MetricLabels) {
    checkLabels(family.definition, labels);
    const key = seriesKey(labels);
    let s = family.series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels }, value: 0 };
      family.series.set(key, s);
    }
    return s;
  }
}
