import type {
  Counter,
  Gauge,
  Histogram,
  HistogramDefinition,
  MetricDefinition,
  Metrics,
} from '../trading/core/metrics.js';

/**
 * Metrics that update several implementations at once: the Prometheus registry that `/metrics`
 * reads, and the interval the CloudWatch sink drains.
 *
 * @example
 * const metrics = new TeeMetrics([registry, interval]);
 */
export class TeeMetrics implements Metrics {
  constructor(private readonly targets: readonly Metrics[]) {}

  counter(definition: MetricDefinition): Counter {
    const all = this.targets.map((t) => t.counter(definition));
    return { inc: (labels, value) => all.forEach((c) => c.inc(labels, value)) };
  }

  gauge(definition: MetricDefinition): Gauge {
    const all = this.targets.map((t) => t.gauge(definition));
    return {
      set: (value, labels) => all.forEach((g) => g.set(value, labels)),
      add: (delta, labels) => all.forEach((g) => g.add(delta, labels)),
    };
  }

  histogram(definition: HistogramDefinition): Histogram {
    const all = this.targets.map((t) => t.histogram(definition));
    return { observe: (value, labels) => all.forEach((h) => h.observe(value, labels)) };
  }
}
