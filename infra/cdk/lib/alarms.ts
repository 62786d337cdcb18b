import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * One alarm as data, the shape `src/monitoring/alarms.ts` gives (kept structural here so the
 * CDK package does not compile the service's sources). Each field maps to the
 * `AWS::CloudWatch::Alarm` property of the same meaning.
 */
export interface AlarmDefinitionLike {
  /** Stable kebab-case id: the alarm name's suffix and the runbook heading. */
  readonly name: string;
  readonly severity: 'critical' | 'warning';
  /** The metric namespace; the construct's `namespace` wins when given. */
  readonly namespace?: string;
  /** Dimensions every series carries (merged with the construct's). */
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly series: readonly AlarmSeriesLike[];
  /** Metric math over the series ids; absent: the one series itself. */
  readonly expression?: string;
  readonly comparison:
    | 'GreaterThanThreshold'
    | 'GreaterThanOrEqualToThreshold'
    | 'LessThanThreshold'
    | 'LessThanOrEqualToThreshold';
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  /** What it means when it fires. */
  readonly meaning: string;
  /** What to do first. */
  readonly action?: string;
}

/** One metric an alarm reads. */
export interface AlarmSeriesLike {
  readonly id: string;
  readonly metricName: string;
  /** `Sum`, `Average`, `Maximum`, `Minimum`, `SampleCount` or a percentile such as `p99`. */
  readonly statistic: string;
  /** Label filters: a series with them is read through a CloudWatch Metrics Insights query. */
  readonly where?: Readonly<
    Record<string, { readonly in: readonly string[] } | { readonly notIn: readonly string[] }>
  >;
}

export interface AlarmsProps {
  readonly definitions: readonly AlarmDefinitionLike[];
  /** CloudWatch namespace the service publishes to (default `Kairos`). */
  readonly namespace?: string;
  /** Dimensions of this deployment added to every series. */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Prefix of every alarm name (`kairos-prod-`). */
  readonly namePrefix: string;
  /** Notified when an alarm fires and when it clears. */
  readonly topic?: sns.ITopic;
}

const INSIGHTS_FUNCTION: Record<string, string> = {
  Sum: 'SUM',
  SampleCount: 'COUNT',
  Average: 'AVG',
  Maximum: 'MAX',
  Minimum: 'MIN',
};

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A Metrics Insights query (label filters cannot be expressed as a plain metric). */
function insightsQuery(
  def: AlarmDefinitionLike,
  series: AlarmSeriesLike,
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
): string {
  const fn = INSIGHTS_FUNCTION[series.statistic];
  if (fn === undefined)
    throw new Error(
      `alarm ${def.name}: series ${series.id} filters labels, which needs a Metrics Insights query, and those have no ${series.statistic}`,
    );
  const where = [
    ...Object.entries(dimensions).map(([k, v]) => `"${k}" = ${quote(v)}`),
    ...Object.entries(series.where ?? {}).map(([label, f]) =>
      'in' in f
        ? `"${label}" IN (${f.in.map(quote).join(', ')})`
        : `"${label}" NOT IN (${f.notIn.map(quote).join(', ')})`,
    ),
  ];
  return `SELECT ${fn}("${series.metricName}") FROM "${namespace}"${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}

/**
 * CloudWatch alarms from plain definitions (`src/monitoring/alarms.ts`): one `AWS::CloudWatch::Alarm`
 * each, named `<prefix><definition name>`, publishing to `topic` when it fires and clears.
 */
export class Alarms extends Construct {
  /** The alarms by definition name. */
  readonly byName = new Map<string, cloudwatch.Alarm>();

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const seen = new Set<string>();
    for (const def of props.definitions) {
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(def.name))
        throw new Error(`alarm name "${def.name}": must be kebab-case`);
      if (seen.has(def.name)) throw new Error(`alarm name "${def.name}": defined twice`);
      seen.add(def.name);
      const namespace = props.namespace ?? def.namespace ?? 'Kairos';
      const dimensions = { ...def.dimensions, ...props.dimensions };
      const period = Duration.seconds(def.periodSeconds);
      const metrics: Record<string, cloudwatch.IMetric> = {};
      for (const s of def.series) {
        metrics[s.id] = s.where
          ? new cloudwatch.MathExpression({
              expression: insightsQuery(def, s, namespace, dimensions),
              usingMetrics: {},
              period,
              label: s.id,
            })
          : new cloudwatch.Metric({
              namespace,
              metricName: s.metricName,
              dimensionsMap: dimensions,
              statistic: s.statistic,
              period,
            });
      }
      let metric: cloudwatch.IMetric;
      if (def.expression !== undefined) {
        metric = new cloudwatch.MathExpression({
          expression: def.expression,
          usingMetrics: metrics,
          period,
          label: def.name,
        });
      } else {
        const only = def.series[0];
        if (def.series.length !== 1 || only === undefined)
          throw new Error(`alarm ${def.name}: several series need an expression`);
        metric = metrics[only.id] as cloudwatch.IMetric;
      }
      const alarm = new cloudwatch.Alarm(this, def.name, {
        alarmName: `${props.namePrefix}${def.name}`,
        alarmDescription: `[${def.severity}] ${def.meaning}${def.action ? ` First: ${def.action}` : ''}`,
        metric,
        threshold: def.threshold,
        comparisonOperator: def.comparison as cloudwatch.ComparisonOperator,
        evaluationPeriods: def.evaluationPeriods,
        datapointsToAlarm: def.datapointsToAlarm ?? def.evaluationPeriods,
        treatMissingData: def.treatMissingData as cloudwatch.TreatMissingData,
      });
      if (props.topic) {
        alarm.addAlarmAction(new actions.SnsAction(props.topic));
        alarm.addOkAction(new actions.SnsAction(props.topic));
      }
      this.byName.set(def.name, alarm);
    }
  }
}
