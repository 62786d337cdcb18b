import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { Alarms, type AlarmDefinitionLike } from './alarms.js';
import type { StageConfig } from './stage-config.js';
import {
  bucketNames,
  DATABASE_PORT,
  MEMCACHED_PORT,
  REDIS_PORT,
  type StatefulStack,
  VPC_CIDR,
} from './stateful-stack.js';

/** The port `kairos serve` listens on in the container (`PORT`). */
export const SERVICE_PORT = 8080;
/** The dimensions every metric of a stage carries (`KAIROS_METRICS_DIMENSIONS`) and alarms read. */
function metricDimensions(config: StageConfig): Record<string, string> {
  return { Service: 'kairos', Stage: config.stage };
}

/** `KAIROS_HOME` in the container: a task-local volume (the root file system is read-only). */
export const KAIROS_HOME = '/var/lib/kairos';
/** Strategy Lambda functions the service may manage: `kairos strategy deploy --name kairos-…`. */
export const STRATEGY_FUNCTION_PREFIX = 'kairos-';

export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  readonly data: StatefulStack;
  /** The service image: `ContainerImage.fromAsset` of the repository's Dockerfile in the app. */
  readonly image: ecs.ContainerImage;
  /** The alarms (`src/monitoring/alarms.ts`'s definitions). */
  readonly alarms: readonly AlarmDefinitionLike[];
}

/**
 * What can be replaced at will: the service on ECS Fargate behind an HTTPS load balancer, its
 * roles, the strategy Lambdas' execution role, log groups, alarms and the dashboard.
 */
export class StatelessStack extends Stack {
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService;
  readonly taskRole: iam.Role;
  readonly strategyLambdaRole: iam.Role;
  readonly adminTask: ecs.FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const name = `kairos-${config.stage}`;

    // Log groups encrypted with a key of this stack (the logs service must be able to use it).
    const logsKey = new kms.Key(this, 'LogsKey', {
      alias: `alias/${name}-logs`,
      description: `Kairos ${config.stage}: CloudWatch Logs, the alarm topic, the initial admin password`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logsKey.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`));
    const logGroup = (id: string, logGroupName: string) =>
      new logs.LogGroup(this, id, {
        logGroupName,
        encryptionKey: logsKey,
        retention: config.service.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const serviceLogs = logGroup('ServiceLogs', `/kairos/${config.stage}/service`);

    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: data.vpc,
      clusterName: name,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    // The task role: exactly the AWS calls the service makes (src/cloud), on its own resources.
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Kairos ${config.stage}: the service's own AWS calls`,
    });
    const audit = bucketNames(config).audit;
    const auditArn = `arn:${this.partition}:s3:::${audit}`;
    // S3_BUCKET: audit exports and backtest reports (the one bucket the service reads).
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [`${auditArn}/*`],
      }),
    );
    // `serve --data s3://…`: the feed file of the market-data bucket (read only).
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          `arn:${this.partition}:s3:::${bucketNames(config).marketData}/${config.service.feed.key}`,
        ],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:GetBucketObjectLockConfiguration'],
        resources: [auditArn],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [data.storageKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
      }),
    );
    // KMS_KEY_ID: wrap and unwrap field-encryption data keys (src/cloud/kms).
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
        resources: [data.fieldKey.keyArn],
      }),
    );
    // Metrics (PutMetricData has no resource; the namespace condition bounds it).
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': config.metrics.namespace } },
      }),
    );

    // Strategy Lambdas: write their logs and nothing else (no KMS, no database, no secrets).
    const strategyFunctions = `arn:${this.partition}:lambda:${this.region}:${this.account}:function:${STRATEGY_FUNCTION_PREFIX}*`;
    this.strategyLambdaRole = new iam.Role(this, 'StrategyLambdaRole', {
      roleName: `${name}-strategy-lambda`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Kairos ${config.stage}: strategy Lambda functions (logs only)`,
      inlinePolicies: {
        logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [
                `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:/aws/lambda/${STRATEGY_FUNCTION_PREFIX}*`,
              ],
            }),
            // Belt and braces: even a later grant or key policy cannot hand it data or keys.
            new iam.PolicyStatement({
              effect: iam.Effect.DENY,
              actions: ['kms:*', 'secretsmanager:*', 'rds:*', 'rds-db:*', 'elasticache:*', 's3:*'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    // The service deploys, versions, invokes and removes strategy functions (src/cloud/lambda).
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'lambda:CreateFunction',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:PublishVersion',
          'lambda:GetFunction',
          'lambda:ListVersionsByFunction',
          'lambda:CreateAlias',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
          'lambda:DeleteFunction',
          'lambda:InvokeFunction',
        ],
        resources: [strategyFunctions, `${strategyFunctions}:*`],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.strategyLambdaRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      }),
    );

    // The container: only settings src/system/config.ts reads; passwords from Secrets Manager.
    const environment: Record<string, string> = {
      AWS_REGION: this.region,
      LOG_LEVEL: config.service.logLevel,
      PORT: String(SERVICE_PORT),
      KAIROS_HOME,
      S3_BUCKET: audit,
      KMS_KEY_ID: data.fieldKey.keyArn,
      // Metrics as EMF lines on stdout: the awslogs driver hands them to CloudWatch (no API
      // call, no permission); the alarms below read them under the same dimensions.
      KAIROS_METRICS: 'emf',
      KAIROS_METRICS_NAMESPACE: config.metrics.namespace,
      KAIROS_METRICS_DIMENSIONS: Object.entries(metricDimensions(config))
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      ...(data.memcachedServers ? { MEMCACHED_SERVERS: data.memcachedServers } : {}),
      // The ALB's nodes are in the VPC: the client is the address they forward (rate limits).
      TRUST_PROXY: VPC_CIDR,
    };
    // Imported by ARN: granting through the secrets' key would write this stack's roles into
    // the stateful stack's key policy (a dependency cycle); the execution roles get kms:Decrypt
    // via Secrets Manager below instead.
    const secret = (id: string, arn: string) =>
      ecs.Secret.fromSecretsManager(secretsmanager.Secret.fromSecretCompleteArn(this, id, arn));
    const secrets = {
      DATABASE_URL: secret('DatabaseUrl', data.databaseUrl.secretArn),
      REDIS_URL: secret('RedisUrl', data.redisUrl.secretArn),
    };
    const decryptSecrets = new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [data.storageKey.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` },
      },
    });
    const taskDefinition = (id: string, family: string, role: iam.Role) => {
      const td = new ecs.FargateTaskDefinition(this, id, {
        family,
        cpu: config.service.cpu,
        memoryLimitMiB: config.service.memoryMiB,
        taskRole: role,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
        volumes: [{ name: 'home' }, { name: 'tmp' }],
      });
      return td;
    };
    const mounts = (c: ecs.ContainerDefinition) =>
      c.addMountPoints(
        { sourceVolume: 'home', containerPath: KAIROS_HOME, readOnly: false },
        { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
      );
    const td = taskDefinition('TaskDefinition', name, this.taskRole);
    const container = td.addContainer('kairos', {
      image: props.image,
      // The feed it replays is a file of the market-data bucket (`service.feed`).
      command: [
        'serve',
        '--host',
        '0.0.0.0',
        '--data',
        `s3://${bucketNames(config).marketData}/${config.service.feed.key}`,
        '--symbol',
        config.service.feed.symbol,
      ],
      environment,
      secrets,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: SERVICE_PORT }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'service', logGroup: serviceLogs }),
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${SERVICE_PORT}/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
    });
    mounts(container);

    // One-off tasks (migrate, user create-admin, keys rotate): same image, settings and role;
    // KAIROS_ADMIN_PASSWORD comes from a generated secret (docs/deploy.md, "First admin user").
    this.adminTask = taskDefinition('AdminTaskDefinition', `${name}-admin`, this.taskRole);
    const adminPassword = new secretsmanager.Secret(this, 'InitialAdminPassword', {
      description: `Kairos ${config.stage}: KAIROS_ADMIN_PASSWORD for kairos user create-admin`,
      encryptionKey: logsKey,
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    const admin = this.adminTask.addContainer('kairos', {
      image: props.image,
      command: ['migrate'],
      environment,
      secrets: {
        ...secrets,
        KAIROS_ADMIN_PASSWORD: ecs.Secret.fromSecretsManager(adminPassword),
      },
      readonlyRootFilesystem: true,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'admin', logGroup: serviceLogs }),
    });
    mounts(admin);
    for (const t of [td, this.adminTask]) t.addToExecutionRolePolicy(decryptSecrets);

    const albLogs = new s3.Bucket(this, 'LoadBalancerLogs', {
      // ALB access logs can only be delivered to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(albLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the load balancer access logs; logging access to it would recurse.',
    });

    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Service', {
      cluster,
      serviceName: name,
      taskDefinition: td,
      desiredCount: config.service.minTasks,
      taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      publicLoadBalancer: true,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', config.certificateArn),
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      redirectHTTP: true,
      idleTimeout: Duration.seconds(config.service.idleTimeoutSeconds),
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(90),
    });
    this.service.loadBalancer.logAccessLogs(albLogs);
    this.service.loadBalancer.setAttribute(
      'routing.http.drop_invalid_header_fields.enabled',
      'true',
    );
    this.service.targetGroup.configureHealthCheck({
      path: '/health/ready',
      healthyHttpCodes: '200',
      interval: Duration.seconds(15),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    });
    this.service.targetGroup.setAttribute('deregistration_delay.timeout_seconds', '30');

    const scaling = this.service.service.autoScaleTaskCount({
      minCapacity: config.service.minTasks,
      maxCapacity: config.service.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: config.service.cpuTargetPercent,
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: config.service.requestsPerTarget,
      targetGroup: this.service.targetGroup,
    });

    // Network: the tasks reach Postgres and the caches; nothing else does.
    const tasks = this.service.service.connections;
    tasks.allowTo(data.databaseSecurityGroup, ec2.Port.tcp(DATABASE_PORT), 'Kairos to Postgres');
    tasks.allowTo(data.cacheSecurityGroup, ec2.Port.tcp(REDIS_PORT), 'Kairos to Redis');
    if (data.memcachedServers)
      tasks.allowTo(data.cacheSecurityGroup, ec2.Port.tcp(MEMCACHED_PORT), 'Kairos to Memcached');

    // Alarms to an encrypted SNS topic, and a dashboard.
    const topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${name}-alarms`,
      masterKey: logsKey,
      enforceSSL: true,
    });
    logsKey.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    if (config.alarmEmail)
      topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const alarms = new Alarms(this, 'Alarms', {
      definitions: props.alarms,
      namespace: config.metrics.namespace,
      dimensions: metricDimensions(config),
      namePrefix: `${name}-`,
      topic,
    });
    const lb = this.service.loadBalancer.metrics;
    const ecsService = this.service.service;
    const platformAlarms = [
      new cloudwatch.Alarm(this, 'LoadBalancer5xx', {
        alarmName: `${name}-alb-5xx`,
        alarmDescription: '[critical] The load balancer answered 5xx itself (no healthy task?).',
        metric: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(1) }),
        threshold: 10,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'UnhealthyTasks', {
        alarmName: `${name}-unhealthy-tasks`,
        alarmDescription: '[critical] A task fails /health/ready.',
        metric: this.service.targetGroup.metrics.unhealthyHostCount({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    ];
    for (const a of platformAlarms) {
      a.addAlarmAction(new actions.SnsAction(topic));
      a.addOkAction(new actions.SnsAction(topic));
    }
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: name,
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...alarms.byName.values(), ...platformAlarms],
            width: 24,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Requests and errors',
            left: [lb.requestCount()],
            right: [
              lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
              lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Response time (p99)',
            left: [lb.targetResponseTime({ statistic: 'p99' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Tasks: CPU and memory',
            left: [ecsService.metricCpuUtilization(), ecsService.metricMemoryUtilization()],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Postgres',
            left: [data.database.metricCPUUtilization()],
            right: [data.database.metricDatabaseConnections()],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Postgres free storage',
            left: [data.database.metricFreeStorageSpace()],
            width: 12,
          }),
        ],
      ],
    });

    // What docs/deploy.md's one-off tasks (first admin, migrations, key rotation) need.
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('ClusterName', cluster.clusterName, 'ECS cluster');
    output('AdminTaskFamily', this.adminTask.family, 'one-off kairos commands (run-task)');
    output(
      'TaskSubnets',
      data.vpc
        .selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS })
        .subnetIds.join(','),
      'subnets for run-task',
    );
    output(
      'TaskSecurityGroup',
      this.service.service.connections.securityGroups.map((g) => g.securityGroupId).join(','),
      'security group for run-task (reaches Postgres and Redis)',
    );
    output('InitialAdminPasswordSecret', adminPassword.secretArn, 'KAIROS_ADMIN_PASSWORD');
    output(
      'StrategyLambdaRoleArn',
      this.strategyLambdaRole.roleArn,
      'kairos strategy deploy --role',
    );
    output('AlarmTopicArn', topic.topicArn, 'alarm notifications');

    // cdk-nag findings this design accepts, each with its reason.
    Validations.of(this.service.loadBalancer).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The API is public: the load balancer accepts HTTPS (and HTTP, redirected) from anywhere.',
    });
    for (const t of [td, this.adminTask])
      Validations.of(t).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason:
          'Only non-secret settings are plain environment variables; DATABASE_URL, REDIS_URL and KAIROS_ADMIN_PASSWORD come from Secrets Manager.',
      });
    const acknowledge = (scope: Construct, finding: string, reason: string) =>
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    acknowledge(
      this.taskRole,
      'Resource::*',
      'cloudwatch:PutMetricData has no resource type; the cloudwatch:namespace condition bounds it.',
    );
    acknowledge(
      this.taskRole,
      `Resource::arn:<AWS::Partition>:s3:::${audit}/*`,
      'Audit exports and reports are written under keys the service makes at run time, in its one bucket.',
    );
    acknowledge(
      this.taskRole,
      `Resource::arn:<AWS::Partition>:lambda:${config.region}:${config.account}:function:${STRATEGY_FUNCTION_PREFIX}*`,
      'Strategy functions are created at run time (kairos strategy deploy); the prefix confines them.',
    );
    acknowledge(
      this.taskRole,
      `Resource::arn:<AWS::Partition>:lambda:${config.region}:${config.account}:function:${STRATEGY_FUNCTION_PREFIX}*:*`,
      'Their versions and the live alias, under the same prefix.',
    );
    acknowledge(
      this.strategyLambdaRole,
      `Resource::arn:<AWS::Partition>:logs:${config.region}:${config.account}:log-group:/aws/lambda/${STRATEGY_FUNCTION_PREFIX}*`,
      'Each strategy function writes its own log group, named after the function (created at run time).',
    );
    for (const t of [td, this.adminTask])
      acknowledge(
        t.obtainExecutionRole(),
        'Resource::*',
        'ecr:GetAuthorizationToken has no resource type (ECS pulls the image with it).',
      );
    Validations.of(adminPassword).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Used once for the first admin, whose password is changed at first login.',
    });
  }
}
