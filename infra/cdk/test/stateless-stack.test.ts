import { Match, Template } from 'aws-cdk-lib/assertions';
import { SETTINGS } from '../../../src/system/config.js';
import { METRICS, RUNTIME_METRICS } from '../../../src/monitoring/metric-catalogue.js';
import { ALARM_DEFINITIONS } from '../lib/alarm-definitions.js';
import { testApp } from './fixture.js';

// One synth for the whole file (cdk-nag runs in it: a finding would throw here).
const { stacks } = testApp();
const template = Template.fromStack(stacks.prod.stateless);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const logicalId = (prefix: string) => {
  const id = Object.keys(resources).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no resource ${prefix}*`);
  return id;
};
/** Every statement of every policy attached to the role (inline and AWS::IAM::Policy). */
function statementsOf(roleId: string): Statement[] {
  const role = resources[roleId] as {
    Properties: {
      Policies?: { PolicyDocument: { Statement: Statement[] } }[];
      ManagedPolicyArns?: unknown[];
    };
  };
  const out = (role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = r.Properties.Roles as { Ref: string }[];
    if (roles.some((x) => x.Ref === roleId))
      out.push(...(r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return out;
}
const container = () => {
  const defs = template.findResources('AWS::ECS::TaskDefinition', {
    Properties: { Family: 'kairos-prod' },
  });
  const [td] = Object.values(defs);
  return td?.Properties.ContainerDefinitions[0] as {
    Environment: { Name: string; Value: unknown }[];
    Secrets: { Name: string }[];
    ReadonlyRootFilesystem: boolean;
    Command: string[];
  };
};

describe('stateless stack (prod)', () => {
  it('serves HTTPS with the configured certificate and redirects HTTP', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: stacks.prod.stateful.config.certificateArn }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'redirect' })],
    });
  });

  it('keeps WebSockets open (idle timeout) and checks /health/ready', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '3600' },
      ]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/health/ready',
      Matcher: { HttpCode: '200' },
    });
  });

  it('runs at least 2 tasks in private subnets of 2 AZs, scaling on CPU and requests', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: [
            { 'Fn::ImportValue': Match.stringLikeRegexp('VpcappSubnet1') },
            { 'Fn::ImportValue': Match.stringLikeRegexp('VpcappSubnet2') },
          ],
        }),
      },
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 8,
    });
    for (const metric of ['ECSServiceAverageCPUUtilization', 'ALBRequestCountPerTarget'])
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: metric }),
        }),
      });
  });

  it('sets only settings the service reads, and its passwords only from Secrets Manager', () => {
    const known = new Set(SETTINGS.map((s) => s.variable));
    const c = container();
    const names = [...c.Environment.map((e) => e.Name), ...c.Secrets.map((s) => s.Name)];
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    expect(c.Secrets.map((s) => s.Name).sort()).toEqual(['DATABASE_URL', 'REDIS_URL']);
    for (const s of SETTINGS.filter((x) => x.secret && x.variable !== 'MEMCACHED_SERVERS'))
      expect(c.Environment.map((e) => e.Name)).not.toContain(s.variable);
    expect(c.ReadonlyRootFilesystem).toBe(true);
    expect(c.Command).toEqual([
      'serve',
      '--host',
      '0.0.0.0',
      '--data',
      's3://kairos-prod-market-data-222222222222-eu-west-1/binance/BTC_USDT-1m.json',
      '--symbol',
      'BTC/USDT',
    ]);
  });

  it('gives the task role no wildcard action and KMS only on its own keys', () => {
    const statements = statementsOf(logicalId('TaskRole'));
    for (const s of statements) {
      for (const a of actions(s)) expect(a).not.toMatch(/\*/);
      if (actions(s).some((a) => a.startsWith('kms:')))
        expect(JSON.stringify(s.Resource)).toMatch(/FieldKey|StorageKey/);
    }
    const kms = statements.filter((s) => actions(s).includes('kms:Decrypt'));
    expect(kms).toHaveLength(2); // field key; storage key via S3 only
    expect(statements.flatMap(actions)).not.toContain('secretsmanager:GetSecretValue');
  });

  it('lets strategy Lambdas write logs and nothing else: no KMS, database or secrets', () => {
    const statements = statementsOf(logicalId('StrategyLambdaRole'));
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap(actions);
    expect(allowed.sort()).toEqual([
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const denied = statements.filter((s) => s.Effect === 'Deny').flatMap(actions);
    expect(denied).toEqual(expect.arrayContaining(['kms:*', 'secretsmanager:*', 'rds-db:*']));
    const role = resources[logicalId('StrategyLambdaRole')] as {
      Properties: { ManagedPolicyArns?: unknown };
    };
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('keeps log groups encrypted for the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/kairos/prod/service',
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('makes one alarm per definition on the Kairos namespace, plus the platform ones', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', ALARM_DEFINITIONS.length + 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'kairos-prod-reconciliation-drift',
      Namespace: 'Kairos',
      MetricName: 'kairos_reconciliation_drift',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }],
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it("names only metrics of the service's catalogue", () => {
    const names = new Set<string>([
      ...Object.values(METRICS).map((m) => m.name),
      ...Object.values(RUNTIME_METRICS),
    ]);
    for (const d of ALARM_DEFINITIONS)
      for (const s of d.series) expect([d.name, names.has(s.metricName)]).toEqual([d.name, true]);
  });

  it('matches its snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
