import {
  CloudWatchClient,
  PutMetricDataCommand,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import type { Counter } from '../../trading/core/metrics.js';
import { cloudWatchUnit } from './cloudwatch-units.js';
import type { IntervalDatum, IntervalMetrics } from './interval-metrics.js';
import { isLocalEndpoint, LOCAL_CREDENTIALS } from '../local-endpoint.js';

/** Where CloudWatch is: a region, and an endpoint for a local or private one. */
export interface CloudWatchSettings {
  readonly region: string;
  /** `AWS_ENDPOINT_URL_CLOUDWATCH`; undefined: AWS itself. */
  readonly endpoint: string | undefined;
  /** A request not answered within this many ms fails (and is retried); default 5000. */
  readonly requestTimeoutMs?: number;
}

/** Options of {@link PutMetricDataSink}. */
export interface PutMetricDataSinkOptions {
  readonly client: CloudWatchClient;
  /** What is drained each interval. */
  readonly source: IntervalMetrics;
  readonly namespace: string;
  /** Dimensions on every datum, before each metric's own labels. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Drain and send every this many ms (default 60 s: CloudWatch's standard resolution). */
  readonly intervalMs?: number;
  /** Data waiting to be sent, at most (default 20,000 datums); the oldest go first beyond it. */
  readonly maxBuffered?: number;
  /** Counts what is dropped: the buffer was full, or a request failed after its retries. */
  readonly dropped: Counter;
  /** Now, in ms (the sink stamps each datum). */
  readonly now: () => number;
}

/** PutMetricData's limits: datums per request, values per datum, bytes per request (1 MB). */
const MAX_DATUMS = 1000;
const MAX_VALUES = 150;
const MAX_BYTES = 900_000;

/**
 * Sends the metrics to CloudWatch with batched `PutMetricData` calls, off the order path (a
 * metric with labels also under the deployment's dimensions alone, which CloudWatch aggregates
 * over every label value: what the alarms read): a
 * timer drains {@link IntervalMetrics} into a bounded buffer, one request at a time takes from
 * it (the SDK retries with backoff; a request that still fails is dropped and counted), and when
 * the endpoint is slow or down the buffer drops its oldest data, counted, instead of growing or
 * blocking anyone.
 *
 * @example
 * const sink = new PutMetricDataSink({ client, source, namespace: 'Kairos', dimensions: {}, dropped, now: Date.now });
 * sink.start();
 * await sink.stop();
 */
export class PutMetricDataSink {
  readonly #o: PutMetricDataSinkOptions;
  #buffer: MetricDatum[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #sending: Promise<void> | null = null;
  /** Requests sent and accepted, datums in them (for tests and `kairos` summaries). */
  readonly stats = { requests: 0, datums: 0, failedRequests: 0, dropped: 0 };

  constructor(options: PutMetricDataSinkOptions) {
    this.#o = options;
  }

  /** Drains and sends every interval until `stop()`. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.flush(), this.#o.intervalMs ?? 60_000);
    this.#timer.unref();
  }

  /** Moves what the interval gathered into the buffer and starts sending it (never throws). */
  flush(): void {
    const now = this.#o.now();
    const fresh = this.#o.source.drain().flatMap((d) => this.#datums(d, now));
    this.#buffer.push(...fresh);
    const max = this.#o.maxBuffered ?? 20_000;
    if (this.#buffer.length > max)
      this.#drop(this.#buffer.splice(0, this.#buffer.length - max).length);
    this.#sending ??= this.#send().finally(() => (this.#sending = null));
  }

  /** Sends what is left (a last flush), waiting at most `waitMs` for the requests. */
  async stop(waitMs = 5000): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.flush();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#sending,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  async #send(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#o.client.send(
          new PutMetricDataCommand({ Namespace: this.#o.namespace, MetricData: batch }),
        );
        this.stats.requests++;
        this.stats.datums += batch.length;
      } catch {
        this.stats.failedRequests++;
        this.#drop(batch.length);
      }
    }
  }

  #takeBatch(): MetricDatum[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#buffer.length && n < MAX_DATUMS) {
      bytes += JSON.stringify(this.#buffer[n]).length;
      if (bytes > MAX_BYTES && n > 0) break;
      n++;
    }
    return this.#buffer.splice(0, n);
  }

  #drop(n: number): void {
    this.stats.dropped += n;
    this.#o.dropped.inc({ sink: 'cloudwatch' }, n);
  }

  /** A datum with labels goes twice: with them, and rolled up to the deployment's dimensions. */
  #datums(d: IntervalDatum, now: number): MetricDatum[] {
    const labelled = Object.keys(d.labels).length > 0;
    const sets = labelled
      ? [{ ...this.#o.dimensions, ...d.labels }, this.#o.dimensions]
      : [this.#o.dimensions];
    return sets.flatMap((dims) => this.#datumsWith(d, dims, now));
  }

  #datumsWith(
    d: IntervalDatum,
    dims: Readonly<Record<string, string>>,
    now: number,
  ): MetricDatum[] {
    const base = {
      MetricName: d.name,
      Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      Timestamp: new Date(now),
      Unit: cloudWatchUnit(d.unit),
    };
    if (d.kind === 'value') return [{ ...base, Value: d.value }];
    const out: MetricDatum[] = [];
    for (let i = 0; i < d.values.length; i += MAX_VALUES)
      out.push({
        ...base,
        Values: d.values.slice(i, i + MAX_VALUES),
        Counts: d.counts.slice(i, i + MAX_VALUES),
      });
    return out;
  }
}

/**
 * A CloudWatch client for these settings: the SDK's retries (3 attempts, backoff with jitter)
 * and a short request timeout, so a hanging endpoint holds the one request slot for seconds,
 * not minutes. Credentials come from the SDK's default chain; a local endpoint gets placeholders.
 *
 * @example
 * const client = cloudWatchClient({ region: 'eu-west-1', endpoint: undefined });
 */
export function cloudWatchClient(settings: CloudWatchSettings): CloudWatchClient {
  return new CloudWatchClient({
    region: settings.region,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    maxAttempts: 3,
    // A request that is not answered fails (the SDK only warns by default, and the one request
    // slot would stay taken for good).
    requestHandler: {
      requestTimeout: settings.requestTimeoutMs ?? 5000,
      connectionTimeout: 2000,
      throwOnRequestTimeout: true,
    },
    ...(isLocalEndpoint(settings.endpoint) ? { credentials: { ...LOCAL_CREDENTIALS } } : {}),
  });
}
