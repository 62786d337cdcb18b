import {
  checkLabels,
  checkMetricDefinition,
  type Counter,
  type Gauge,
  type Histogram,
  type HistogramDefinition,
  type MetricDefinition,
  type MetricLabels,
  type Metrics,
  type MetricUnit,
} from '../../trading/core/metrics.js';

/**
 * One metric's data for one interval, as CloudWatch takes it: a counter's increase, a gauge's
 * current value, or a histogram's observations as distinct values and how often each was seen
 * (values rounded to 3 significant digits, which is CloudWatch's own resolution).
 */
export type IntervalDatum = {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly labels: MetricLabels;
} & (
  | { readonly kind: 'value'; readonly value: number }
  | {
      readonly kind: 'distribution';
      readonly values: readonly number[];
      readonly counts: readonly number[];
      readonly sum: number;
      readonly min: number;
      readonly max: number;
    }
);

interface Series {
  readonly labels: MetricLabels;
  value: number;
  touched: boolean;
  dist?: Map<number, number>;
  sum: number;
  min: number;
  max: number;
}

interface Family {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly definition: MetricDefinition;
  readonly series: Map<string, Series>;
}

/**
 * A `Metrics` implementation that keeps what happened since the last `drain()`, for the
 * CloudWatch sinks (EMF lines, PutMetricData). Updates are a map look-up and an add: cheap enough
 * for the order path; nothing here does I/O.
 *
 * @example
 * const interval = new IntervalMetrics();
 * interval.counter({ name: 'kairos_fills_total', help: 'fills', labelNames: ['venue'] }).inc({ venue: 'binance' });
 * interval.drain(); // [{ name: 'kairos_fills_total', kind: 'value', value: 1, ... }]
 */
export class IntervalMetrics implements Metrics {
  readonly #families = new Map<string, Family>();

  counter(definition: MetricDefinition): Counter {
    const family = this.#family('counter', definition);
    return {
      inc: (labels, value = 1) => {
        if (value < 0) return;
        const s = this.#series(family, labels);
        s.value += value;
        s.touched = true;
      },
    };
  }

  gauge(definition: MetricDefinition): Gauge {
    const family = this.#family('gauge', definition);
    return {
      set: (value, labels) => {
        const s = this.#series(family, labels);
        s.value = value;
        s.touched = true;
      },
      add: (delta = 1, labels) => {
        const s = this.#series(family, labels);
        s.value += delta;
        s.touched = true;
      },
    };
  }

  histogram(definition: HistogramDefinition): Histogram {
    const family = this.#family('histogram', definition);
    return {
      observe: (value, labels) => {
        if (!Number.isFinite(value)) return;
        const s = this.#series(family, labels);
        const v = round3(value);
        s.dist!.set(v, (s.dist!.get(v) ?? 0) + 1);
        s.sum += value;
        s.min = Math.min(s.min, value);
        s.max = Math.max(s.max, value);
        s.touched = true;
      },
    };
  }

  /**
   * What happened since the last drain: counters that moved, every gauge ever set (its current
   * value: a gauge is a level, sent each interval), histograms that saw a value. Counters and
   * histograms start again from zero.
   */
  drain(): IntervalDatum[] {
    const out: IntervalDatum[] = [];
    for (const f of this.#families.values()) {
      const { name, unit = f.kind === 'counter' ? 'count' : 'none' } = f.definition;
      for (const s of f.series.values()) {
        if (f.kind === 'gauge') {
          out.push({ name, unit, labels: s.labels, kind: 'value', value: s.value });
          continue;
        }
        if (!s.touched) continue;
        if (f.kind === 'counter') {
          out.push({ name, unit, labels: s.labels, kind: 'value', value: s.value });
          s.value = 0;
        } else {
          const entries = [...s.dist!.entries()].sort((a, b) => a[0] - b[0]);
          out.push({
            name,
            unit,
            labels: s.labels,
            kind: 'distribution',
            values: entries.map((e) => e[0]),
            counts: entries.map((e) => e[1]),
            sum: s.sum,
            min: s.min,
            max: s.max,
          });
          s.dist!.clear();
          s.sum = 0;
          s.min = Infinity;
          s.max = -Infinity;
        }
        s.touched = false;
      }
    }
    return out;
  }

  #family(kind: Family['kind'], definition: HistogramDefinition): Family {
    const existing = this.#families.get(definition.name);
    if (existing) return existing;
    checkMetricDefinition(definition);
    const family: Family = { kind, definition, series: new Map() };
    this.#families.set(definition.name, family);
    return family;
  }

  #series(family: Family, labels: MetricLabels = {}): Series {
    const key = JSON.stringify(labels, Object.keys(labels).sort());
    let s = family.series.get(key);
    if (s === undefined) {
      checkLabels(family.definition, labels);
      s = {
        labels: { ...labels },
        value: 0,
        touched: false,
        sum: 0,
        min: Infinity,
        max: -Infinity,
      };
      if (family.kind === 'histogram') s.dist = new Map();
      family.series.set(key, s);
    }
    return s;
  }
}

function round3(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(3));
}
