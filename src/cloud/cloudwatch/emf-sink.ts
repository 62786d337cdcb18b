import { emfLines } from './emf-lines.js';
import type { IntervalMetrics } from './interval-metrics.js';

/** Options of {@link EmfSink}. */
export interface EmfSinkOptions {
  readonly source: IntervalMetrics;
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Drain and write every this many ms (default 60 s). */
  readonly intervalMs?: number;
  /** Writes one line (default: stdout, where ECS's and Lambda's log drivers take EMF from). */
  readonly write?: (line: string) => void;
  readonly now: () => number;
}

/**
 * Writes the metrics as CloudWatch Embedded Metric Format lines every interval: on ECS (awslogs
 * driver) and Lambda, CloudWatch Logs turns them into metrics, with no API call and nothing on
 * the order path.
 *
 * @example
 * const sink = new EmfSink({ source, namespace: 'Kairos', dimensions: { Service: 'kairos' }, now: Date.now });
 * sink.start();
 */
export class EmfSink {
  readonly #o: EmfSinkOptions;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: EmfSinkOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.flush(), this.#o.intervalMs ?? 60_000);
    this.#timer.unref();
  }

  /** Writes what the interval gathered. */
  flush(): void {
    const write = this.#o.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    const lines = emfLines(this.#o.source.drain(), {
      namespace: this.#o.namespace,
      dimensions: this.#o.dimensions,
      timestamp: this.#o.now(),
    });
    for (const line of lines) write(line);
  }

  /** A last flush. */
  stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.flush();
    return Promise.resolve();
  }
}
