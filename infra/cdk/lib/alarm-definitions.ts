import type { AlarmDefinitionLike } from './alarms.js';

/**
 * The alarms the service stack creates until it reads `src/monitoring/alarms.ts` itself. Each
 * names a metric of `src/monitoring/metric-catalogue.ts` (the names are repeated here because
 * this package does not compile the service's sources; a test checks they exist there).
 */
export const ALARM_DEFINITIONS: readonly AlarmDefinitionLike[] = [
  {
    name: 'reconciliation-drift',
    severity: 'critical',
    series: [{ id: 'drift', metricName: 'kairos_reconciliation_drift', statistic: 'Maximum' }],
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    meaning: 'A reconciliation found the venue and the order journal disagreeing.',
    action: 'Read the reconciliation log lines; confirm positions at the venue.',
  },
  {
    name: 'unresolved-order-age',
    severity: 'critical',
    series: [
      { id: 'age', metricName: 'kairos_unresolved_order_oldest_seconds', statistic: 'Maximum' },
    ],
    comparison: 'GreaterThanThreshold',
    threshold: 300,
    periodSeconds: 60,
    evaluationPeriods: 3,
    treatMissingData: 'notBreaching',
    meaning: 'An order has been UNKNOWN at the venue for more than 5 minutes.',
    action: 'Check the venue connection and the reconciliation loop.',
  },
  {
    name: 'persistence-failed',
    severity: 'critical',
    series: [{ id: 'failures', metricName: 'kairos_persistence_failures_total', statistic: 'Sum' }],
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    meaning: 'A store or audit write failed: new orders are refused until it recovers.',
    action: 'Check the database (connections, storage, failover events).',
  },
  {
    name: 'metrics-dropped',
    severity: 'warning',
    series: [{ id: 'dropped', metricName: 'kairos_metrics_dropped_total', statistic: 'Sum' }],
    comparison: 'GreaterThanThreshold',
    threshold: 0,
    periodSeconds: 300,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    meaning: 'The CloudWatch sink dropped metric data: other alarms may be blind.',
    action: 'Check the task role can cloudwatch:PutMetricData and the sink errors in the logs.',
  },
];
