import { cloudWatchUnit } from './cloudwatch-units.js';
import type { IntervalDatum } from './interval-metrics.js';

/** Where EMF metrics go and what every line carries. */
export interface EmfOptions {
  /** CloudWatch namespace (`Kairos` by default in the config). */
  readonly namespace: string;
  /** Dimensions on every metric (`Service`, `Stage`…), before each metric's own labels. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch: the end of the interval. */
  readonly timestamp: number;
}

/** EMF's limits: values per metric member, metrics per directive. */
const MAX_VALUES = 100;
const MAX_METRICS = 100;

/**
 * One interval's data as CloudWatch Embedded Metric Format documents, one JSON line each: the
 * metrics that share dimension values share a document (at most 100 metrics a document), and a
 * metric with labels is also published under the deployment's dimensions alone (a second
 * dimension set), which CloudWatch aggregates over every label value. EMF
 * takes a member as a number or up to 100 numbers and has no counts, so a histogram becomes up
 * to 100 values taken evenly from its sorted observations (min and max included: percentiles
 * stay within one step of the truth), plus `<name>_count` and `<name>_sum`, which are exact.
 *
 * @example
 * emfLines(interval.drain(), { namespace: 'Kairos', dimensions: { Service: 'kairos' }, timestamp: Date.now() });
 */
export function emfLines(data: readonly IntervalDatum[], options: EmfOptions): string[] {
  const groups = new Map<
    string,
    { dims: Record<string, string>; labelled: boolean; members: Member[] }
  >();
  for (const d of data) {
    const dims = { ...options.dimensions, ...d.labels };
    const key = JSON.stringify(Object.entries(dims).sort(([a], [b]) => a.localeCompare(b)));
    let g = groups.get(key);
    if (!g)
      groups.set(key, (g = { dims, labelled: Object.keys(d.labels).length > 0, members: [] }));
    g.members.push(...membersOf(d));
  }
  const lines: string[] = [];
  const rollup = Object.keys(options.dimensions);
  for (const { dims, labelled, members } of groups.values()) {
    for (let i = 0; i < members.length; i += MAX_METRICS) {
      const chunk = members.slice(i, i + MAX_METRICS);
      const doc: Record<string, unknown> = {
        _aws: {
          Timestamp: options.timestamp,
          CloudWatchMetrics: [
            {
              Namespace: options.namespace,
              // A labelled metric is also published rolled up to the deployment's dimensions
              // (every venue, route… together): what the alarms read.
              Dimensions: labelled ? [Object.keys(dims), rollup] : [Object.keys(dims)],
              Metrics: chunk.map((m) => ({ Name: m.name, Unit: m.unit })),
            },
          ],
        },
        ...dims,
      };
      for (const m of chunk) doc[m.name] = m.value;
      lines.push(JSON.stringify(doc));
    }
  }
  return lines;
}

interface Member {
  readonly name: string;
  readonly unit: string;
  readonly value: number | number[];
}

function membersOf(d: IntervalDatum): Member[] {
  const unit = cloudWatchUnit(d.unit);
  if (d.kind === 'value') return [{ name: d.name, unit, value: d.value }];
  const count = d.counts.reduce((a, b) => a + b, 0);
  return [
    { name: d.name, unit, value: evenSample(d.values, d.counts, count) },
    { name: `${d.name}_count`, unit: 'Count', value: count },
    { name: `${d.name}_sum`, unit, value: d.sum },
  ];
}

/** Up to MAX_VALUES values at even ranks of the sorted observations (value i seen counts[i] times). */
function evenSample(values: readonly number[], counts: readonly number[], n: number): number[] {
  const take = Math.min(n, MAX_VALUES);
  const out: number[] = [];
  let i = 0;
  let seen = counts[0] ?? 0; // observations up to and including values[i]
  for (let k = 0; k < take; k++) {
    const rank = take === 1 ? 0 : Math.round((k * (n - 1)) / (take - 1));
    while (rank >= seen) seen += counts[++i]!;
    out.push(values[i]!);
  }
  return out;
}
