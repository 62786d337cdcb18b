import client from 'prom-client';
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
  type MetricUnit,
} from '../trading/core/metrics.js';

type Kind = 'counter' | 'gauge' | 'histogram';

/** prom-client default metrics that are gauges with a `_total` suffix. */
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

let runtime: client.Registry | undefined;

/**
 * prom-client's process and Node.js collectors, started once per process: each set runs an
 * event-loop delay monitor (a 10 ms timer) and a GC observer, so one per registry would add up
 * in a process that builds many (tests, benchmarks), and they describe the process anyway.
 */
function runtimeRegistry(): client.Registry {
  if (runtime) return runtime;
  runtime = new client.Registry();
  client.collectDefaultMetrics({ register: runtime });
  // Gauges named like counters (`promtool check metrics` refuses them); the per-type
  // `nodejs_active_handles` / `_requests` / `_resources` gauges carry the same numbers.
  for (const name of LINT_FAILING_DEFAULTS) runtime.removeSingleMetric(name);
  return runtime;
}

interface Family {
  readonly kind: Kind;
  readonly definition: HistogramDefinition;
  readonly port: Counter | Gauge | Histogram;
}

/** How `MetricsRegistry` is built. */
export interface MetricsRegistryOptions {
  /**
   * prom-client's process and Node.js collectors (`process_*`, `nodejs_*`: CPU, heap, event-loop
   * lag percentiles, GC, handles; default true). Off in benchmarks and tests that count names.
   */
  readonly defaultMetrics?: boolean;
  /** Labels on every series (e.g. `{ service: 'kairos' }`; default none). */
  readonly defaultLabels?: MetricLabels;
  /**
   * Metrics that get every update too, after it passed this registry's checks: the interval a
   * CloudWatch sink drains (`KAIROS_METRICS=emf|cloudwatch`).
   */
  readonly mirror?: Metrics;
}

/**
 * The `Metrics` port on one prom-client `Registry`: what `GET /metrics` exposes (`text()`) and
 * what the CloudWatch sinks read (`registry.getMetricsAsJSON()`). It keeps the port's rules, as
 * `MemoryMetrics` does: creating a metric again with the same definition gives the same one, a
 * conflicting definition throws, every observation gives exactly the declared labels, counters
 * only go up and values are finite (a break is our bug: `InvariantError`). Names are taken as
 * the catalogue gives them (`metric-catalogue.ts`); the unit is metadata (`unitOf`) for sinks.
 *
 * @example
 * const metrics = new MetricsRegistry();
 * metrics.counter(METRICS.fills).inc({ venue: 'binance' });
 * await metrics.text(); // "# HELP kairos_fills_total Fills booked, by venue\n# TYPE …"
 */
export class MetricsRegistry implements Metrics {
  /** The prom-client registry behind it (sinks read `getMetricsAsJSON()`). */
  readonly registry: client.Registry;
  readonly #families = new Map<string, Family>();
  readonly #mirror: Metrics | undefined;
  /** The process's runtime collectors (one set per process, shared by every registry). */
  readonly #runtime: client.Registry | undefined;

  constructor(options: MetricsRegistryOptions = {}) {
    this.registry = new client.Registry();
    this.#mirror = options.mirror;
    if (options.defaultLabels) this.registry.setDefaultLabels({ ...options.defaultLabels });
    this.#runtime = (options.defaultMetrics ?? true) ? runtimeRegistry() : undefined;
  }

  /** The content type of `text()` (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text exposition format. */
  text(): Promise<string> {
    return this.#runtime
      ? client.Registry.merge([this.registry, this.#runtime]).metrics()
      : this.registry.metrics();
  }

  /** The unit a metric was declared with (undefined: not created here, e.g. a runtime metric). */
  unitOf(name: string): MetricUnit | undefined {
    const family = this.#families.get(name);
    if (family === undefined) return undefined;
    return family.definition.unit ?? (family.kind === 'counter' ? 'count' : 'none');
  }

  counter(definition: MetricDefinition): Counter {
    return this.#family('counter', definition, () => {
      const metric = new client.Counter({ ...this.#base(definition) });
      const mirror = this.#mirror?.counter(definition);
      const port: Counter = {
        inc: (labels = {}, value = 1) => {
          checkLabels(definition, labels);
          if (!Number.isFinite(value) || value < 0)
            throw new InvariantError(
              'METRIC_VALUE',
              `${definition.name}: a counter only goes up, by a finite amount ≥ 0 (was ${value})`,
            );
          metric.inc(labels, value);
          mirror?.inc(labels, value);
        },
      };
      return port;
    }) as Counter;
  }

  gauge(definition: MetricDefinition): Gauge {
    return this.#family('gauge', definition, () => {
      const metric = new client.Gauge({ ...this.#base(definition) });
      const mirror = this.#mirror?.gauge(definition);
      const port: Gauge = {
        set: (value, labels = {}) => {
          checkLabels(definition, labels);
          metric.set(labels, finiteMetricValue(definition, value));
          mirror?.set(value, labels);
        },
        add: (delta = 1, labels = {}) => {
          checkLabels(definition, labels);
          metric.inc(labels, finiteMetricValue(definition, delta));
          mirror?.add(delta, labels);
        },
      };
      return port;
    }) as Gauge;
  }

  histogram(definition: HistogramDefinition): Histogram {
    return this.#family('histogram', definition, () => {
      const metric = new client.Histogram({
        ...this.#base(definition),
        buckets: [...(definition.buckets ?? DEFAULT_BUCKETS)],
      });
      const mirror = this.#mirror?.histogram(definition);
      const port: Histogram = {
        observe: (value, labels = {}) => {
          checkLabels(definition, labels);
          metric.observe(labels, finiteMetricValue(definition, value));
          mirror?.observe(value, labels);
        },
      };
      return port;
    }) as Histogram;
  }

  /**
   * The current value of a runtime metric of prom-client's collectors (a gauge without labels,
   * such as `nodejs_eventloop_lag_p99_seconds`); undefined when there is none.
   */
  async runtimeValue(name: string): Promise<number | undefined> {
    const metric = this.#runtime?.getSingleMetric(name);
    if (metric === undefined || this.#families.has(name)) return undefined;
    const { values } = await metric.get();
    return values.find((v) => Object.keys(v.labels).length === 0)?.value;
  }

  /** The metric names created through the port so far, sorted (runtime metrics not included). */
  names(): string[] {
    return [...this.#families.keys()].sort();
  }

  #base(definition: MetricDefinition) {
    return {
      name: definition.name,
      help: definition.help,
      labelNames: [...(definition.labelNames ?? [])],
      registers: [this.registry],
    };
  }

  #family(
    kind: Kind,
    definition: HistogramDefinition,
    make: () => Counter | Gauge | Histogram,
  ): Counter | Gauge | Histogram {
    checkMetricDefinition(definition);
    const existing = this.#families.get(definition.name);
    if (existing !== undefined) {
      if (existing.kind !== kind || !sameMetricDefinition(existing.definition, definition))
        throw new InvariantError(
          'METRIC_CONFLICT',
          `${definition.name}: already created as a ${existing.kind} with another definition`,
        );
      return existing.port;
    }
    if (this.#runtime?.getSingleMetric(definition.name) !== undefined)
      throw new InvariantError(
        'METRIC_CONFLICT',
        `${definition.name}: already a runtime metric of this registry`,
      );
    const port = make();
    this.#families.set(definition.name, { kind, definition, port });
    return port;
  }
}
