import { METRICS, RUNTIME_METRICS } from './metric-catalogue.js';

/** A CloudWatch statistic: the five plain ones or a percentile (`p99`). */
export type AlarmStatistic =
  'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount' | `p${number}`;

/** CloudWatch's `ComparisonOperator`: the value compared with the threshold. */
export type AlarmComparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** CloudWatch's `TreatMissingData`. */
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

/** `critical`: page someone now. `warning`: look within the working day. */
export type AlarmSeverity = 'critical' | 'warning';

/** Which values of one label a series keeps (a label not named is summed over every value). */
export type LabelFilter =
  { readonly in: readonly string[] } | { readonly notIn: readonly string[] };

/** One metric an alarm reads. */
export interface AlarmSeries {
  /** Its id in `expression` (CloudWatch metric math ids: a lower-case letter, then letters, digits, _). */
  readonly id: string;
  /** A name from `metric-catalogue.ts` (`METRICS.x.name`, `RUNTIME_METRICS.x`). */
  readonly metricName: string;
  readonly statistic: AlarmStatistic;
  /** Label filters; labels not named are aggregated over (every venue, every route…). */
  readonly where?: Readonly<Record<string, LabelFilter>>;
}

/**
 * One alarm, shaped as a CloudWatch alarm: the CDK stack maps each field to the `AWS::CloudWatch::Alarm`
 * property of the same name (`docs/operations.md`, "Alarms").
 */
export interface AlarmDefinition {
  /** Stable id, kebab-case: the runbook heading in `docs/operations.md`, the alarm name's suffix. */
  readonly name: string;
  readonly severity: AlarmSeverity;
  /** The metric namespace (`Kairos` unless configured). */
  readonly namespace: string;
  /** Dimensions of the deployment every series carries (e.g. `{ Environment: 'prod' }`). */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly series: readonly AlarmSeries[];
  /** Metric math over the series ids; absent: the one series itself. */
  readonly expression?: string;
  readonly comparison: AlarmComparison;
  readonly threshold: number;
  /** Seconds per datapoint (`Period`). */
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** Breaching datapoints out of `evaluationPeriods` that raise it ("M out of N"). */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** What it means when it fires (the alarm's description). */
  readonly meaning: string;
  /** What to do first (the runbook has the rest). */
  readonly action: string;
}

/** Where the alarms' metrics are published. */
export interface AlarmOptions {
  /** CloudWatch namespace (default `Kairos`, as the metric sinks publish by default). */
  readonly namespace?: string;
  /** Dimensions of the deployment (default none). */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Status codes counted as server errors (what the API answers with, `docs/errors.md`, and proxies' 504). */
const SERVER_ERRORS = ['500', '501', '502', '503', '504'];
/** Load-balancer probes: a readiness 503 is reported by its own check, not as an API error. */
const PROBES = ['/health', '/health/live', '/health/ready'];

type Rule = Omit<AlarmDefinition, 'namespace' | 'dimensions'>;

const RULES: readonly Rule[] = [
  {
    name: 'http-5xx-rate',
    severity: 'critical',
    series: [
      {
        id: 'errors',
        metricName: METRICS.httpDuration.name,
        statistic: 'SampleCount',
        where: { status_code: { in: SERVER_ERRORS }, route: { notIn: PROBES } },
      },
      {
        id: 'requests',
        metricName: METRICS.httpDuration.name,
        statistic: 'SampleCount',
        where: { route: { notIn: PROBES } },
      },
    ],
    // Percent of API requests answered 5xx per minute (no request: no datapoint).
    expression: '100 * errors / requests',
    comparison: 'GreaterThanThreshold',
    threshold: 5,
    periodSeconds: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    treatMissingData: 'notBreaching',
    meaning: 'More than 5% of API requests answered 5xx in 3 of the last 5 minutes.',
    action:
      'Read the `api` component error lines (`internal error` with request ids) and /health/ready; roll back a fresh deploy.',
  },
  {
    name: 'order-latency-p99',
    severity: 'warning',
    series: [{ id: 'latency', metricName: METRICS.orderLatency.name, statistic: 'p99' }],
    comparison: 'GreaterThanThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
    treatMissingData: 'notBreaching',
    meaning: 'The p99 of tick-to-acknowledgement order latency stayed over 1 s for 5 minutes.',
    action:
      'Compare event-loop lag, DB commit time and venue rate-limit bans; check the venue status page.',
  },
  {
    name: 'risk-denial-spike',
    severity: 'warning',
    series: [{ id: 'denials', metricName: METRICS.denials.name, statistic: 'Sum' }],
    comparison: 'GreaterThanThreshold',
    threshold: 50,
    periodSeconds: 300,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    meaning: 'More than 50 orders were denied by the risk gate in 5 minutes.',
    action:
      'Group the denials by `reason`; a strategy looping on a denied order or a limit set too low are the usual causes.',
  },
  {
    name: 'reconciliation-drift',
    severity: 'critical',
    series: [{ id: 'drift', metricName: METRICS.reconciliationDrift.name, statistic: 'Maximum' }],
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    meaning: 'A reconciliation found the venue and the order journal disagreeing.',
    action:
      'Read the `reconciliation` log lines for the orders, fills and balances it repaired; confirm positions at the venue.',
  },
  {
    name: 'kill-switch-engaged',
    severity: 'critical',
    series: [{ id: 'engaged', metricName: METRICS.killSwitch.name, statistic: 'Maximum' }],
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    meaning:
      'Trading is HALTED or REDUCING in some scope (a person or a rule engaged the kill switch).',
    action:
      'Find who and why in the audit log (`risk` events) and the trading-state log line; resume only when the cause is understood.',
  },
  {
    name: 'venue-disconnected',
    severity: 'critical',
    series: [{ id: 'connected', metricName: METRICS.venueConnected.name, statistic: 'Minimum' }],
    comparison: 'LessThanThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    // A process that stops reporting its connection is not known to be connected.
    treatMissingData: 'breaching',
    meaning: 'A venue connection (market data or private stream) was down for a whole minute.',
    action:
      'Read the venue `reconnect` log lines and rate-limit bans; check the venue status page and network egress.',
  },
  {
    name: 'event-loop-lag',
    severity: 'warning',
    series: [{ id: 'lag', metricName: RUNTIME_METRICS.eventLoopLagP99, statistic: 'Maximum' }],
    comparison: 'GreaterThanThreshold',
    threshold: 0.2,
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'missing',
    meaning:
      'The p99 event-loop delay stayed over 200 ms for 3 minutes: every order waits that long.',
    action:
      'Look at CPU and heap, running backtests and strategies; take a CPU profile, scale out or stop the offender.',
  },
  {
    name: 'persistence-failed',
    severity: 'critical',
    series: [{ id: 'failures', metricName: METRICS.persistenceFailures.name, statistic: 'Sum' }],
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    meaning: 'A store or audit write failed: new orders are refused while it fails (fail closed).',
    action:
      'Check /health/ready (`database`), the database itself (storage, connections, failover) and the `code` label.',
  },
];

/**
 * The alarms an operator needs, as data: metric (named through the metric catalogue),
 * statistic, threshold, comparison, period, evaluation, missing data, severity, meaning and
 * first action. The CDK stack turns each into one CloudWatch alarm; `docs/operations.md` has
 * the runbook paragraph of each (a test checks both).
 *
 * @example
 * for (const a of alarmDefinitions({ namespace: 'Kairos', dimensions: { Environment: 'prod' } }))
 *   new cloudwatch.CfnAlarm(stack, a.name, { ... });
 */
export function alarmDefinitions(options: AlarmOptions = {}): AlarmDefinition[] {
  const namespace = options.namespace ?? 'Kairos';
  const dimensions = { ...(options.dimensions ?? {}) };
  return RULES.map((r) => ({ ...r, namespace, dimensions }));
}
