import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Alarms, type AlarmDefinitionLike } from '../lib/alarms.js';

const base: Omit<AlarmDefinitionLike, 'name' | 'series'> = {
  severity: 'critical',
  comparison: 'GreaterThanThreshold',
  threshold: 5,
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  treatMissingData: 'notBreaching',
  meaning: 'Too many 5xx.',
};

describe('Alarms', () => {
  it('maps label filters to a Metrics Insights query and math over series', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'T');
    new Alarms(stack, 'A', {
      namePrefix: 'k-',
      dimensions: { Environment: 'prod' },
      definitions: [
        {
          ...base,
          name: 'http-5xx-rate',
          series: [
            {
              id: 'errors',
              metricName: 'kairos_http_request_duration_seconds',
              statistic: 'SampleCount',
              where: { status_code: { in: ['500', '503'] }, route: { notIn: ['/health'] } },
            },
            {
              id: 'requests',
              metricName: 'kairos_http_request_duration_seconds',
              statistic: 'SampleCount',
            },
          ],
          expression: '100 * errors / requests',
        },
      ],
    });
    const alarm = Object.values(
      Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'),
    )[0];
    expect(alarm?.Properties.AlarmName).toBe('k-http-5xx-rate');
    expect(alarm?.Properties.DatapointsToAlarm).toBe(3);
    const queries = alarm?.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Dimensions: unknown } };
    }[];
    expect(queries.find((q) => q.Id === 'errors')?.Expression).toBe(
      `SELECT COUNT("kairos_http_request_duration_seconds") FROM "Kairos" WHERE "Environment" = 'prod' AND "status_code" IN ('500', '503') AND "route" NOT IN ('/health')`,
    );
    expect(queries.find((q) => q.Id === 'requests')?.MetricStat?.Metric.Dimensions).toEqual([
      { Name: 'Environment', Value: 'prod' },
    ]);
  });

  it('rejects a percentile over filtered labels, names twice and several series without math', () => {
    const make = (defs: AlarmDefinitionLike[]) => () =>
      new Alarms(new Stack(new App({ builtinCloudFormationValidation: false }), 'T'), 'A', {
        namePrefix: '',
        definitions: defs,
      });
    const s = { id: 'a', metricName: 'm', statistic: 'p99' };
    expect(make([{ ...base, name: 'x', series: [{ ...s, where: { v: { in: ['1'] } } }] }])).toThrow(
      /alarm x: series a filters labels.*no p99/,
    );
    expect(
      make([
        { ...base, name: 'x', series: [s] },
        { ...base, name: 'x', series: [s] },
      ]),
    ).toThrow(/defined twice/);
    expect(make([{ ...base, name: 'x', series: [s, { ...s, id: 'b' }] }])).toThrow(
      /several series need an expression/,
    );
  });
});
