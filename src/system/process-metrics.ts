import { EmfSink } from '../cloud/cloudwatch/emf-sink.js';
import { IntervalMetrics } from '../cloud/cloudwatch/interval-metrics.js';
import { METRICS, RUNTIME_METRICS } from '../monitoring/metric-catalogue.js';
import { MetricsRegistry } from '../monitoring/metrics-registry.js';
import type { PutMetricDataSinkOptions } from '../cloud/cloudwatch/put-metric-data-sink.js';
import type { MetricUnit } from '../trading/core/metrics.js';
import type { Config } from './config.js';

/** A process's metrics: the registry `/metrics` reads, and the CloudWatch sink fed from it. */
export interface ProcessMetrics {
  readonly registry: MetricsRegistry;
  /** Starts sending to CloudWatch (`emf`, `cloudwatch`); nothing for `prometheus`. */
  start(): void;
  /** A last send (waits at most a few seconds for CloudWatch). */
  stop(): Promise<void>;
}

const RUNTIME: readonly { name: string; help: string; unit: MetricUnit }[] = [
  { name: RUNTIME_METRICS.eventLoopLagP99, help: 'Event-loop lag, p99', unit: 'seconds' },
  { name: RUNTIME_METRICS.heapUsed, help: 'Heap in use', unit: 'bytes' },
];

/**
 * The metrics of a long-running process for `KAIROS_METRICS`: `off` → null; `prometheus` → the
 * registry; `emf` / `cloudwatch` → the registry mirrored into an interval that is written as EMF
 * lines on stdout or sent with `PutMetricData` every `KAIROS_METRICS_INTERVAL_MS`, with the
 * runtime gauges the alarms read (event-loop lag, heap) sampled from the registry each time.
 * The AWS SDK's CloudWatch client loads only for `cloudwatch` (every `serve`, `paper` and `live`
 * process paid for it before, whatever the sink).
 *
 * @example
 * const metrics = processMetrics(config);
 * metrics?.start();
 */
export function processMetrics(
  config: Config,
  options: { readonly write?: (line: string) => void; readonly now?: () => number } = {},
): ProcessMetrics | null {
  const m = config.metrics;
  if (m.sink === 'off') return null;
  if (m.sink === 'prometheus')
    return { registry: new MetricsRegistry(), start: () => undefined, stop: async () => {} };
  const source = new IntervalMetrics();
  const registry = new MetricsRegistry({ mirror: source });
  const now = options.now ?? Date.now;
  const common = { source, namespace: m.namespace, dimensions: m.dimensions, now };
  const sink: { flush(): void; stop(): Promise<void> } =
    m.sink === 'emf'
      ? new EmfSink({ ...common, ...(options.write ? { write: options.write } : {}) })
      : putMetricDataSink(m.cloudwatch, {
          ...common,
          dropped: registry.counter(METRICS.metricsDropped),
        });
  const runtime = RUNTIME.map((r) => ({ name: r.name, gauge: source.gauge(r) }));
  const flush = async () => {
    for (const r of runtime) {
      const v = await registry.runtimeValue(r.name);
      if (v !== undefined) r.gauge.set(v);
    }
    sink.flush();
  };
  let timer: ReturnType<typeof setInterval> | null = null;
  let stopped = false;
  return {
    registry,
    start: () => {
      if (stopped) return;
      timer ??= setInterval(() => void flush(), m.intervalMs);
      timer.unref();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await flush();
      await sink.stop();
    },
  };
}

/**
 * A `PutMetricDataSink` whose module (and the AWS SDK's CloudWatch client) loads in the
 * background: a flush asked for before it is there drains once it is.
 */
function putMetricDataSink(
  settings: Config['metrics']['cloudwatch'],
  options: Omit<PutMetricDataSinkOptions, 'client'>,
): { flush(): void; stop(): Promise<void> } {
  const loading = import('../cloud/cloudwatch/put-metric-data-sink.js').then(
    (m) => new m.PutMetricDataSink({ ...options, client: m.cloudWatchClient(settings) }),
  );
  return {
    flush: () => void loading.then((sink) => sink.flush()),
    stop: async () => (await loading).stop(),
  };
}
