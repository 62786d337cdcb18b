import {
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StageConfig } from './stage-config.js';

/** The VPC's range (CDK's default, pinned: the service trusts the ALB's addresses in it). */
export const VPC_CIDR = '10.0.0.0/16';

/** Postgres and Redis listen on non-default ports (cdk-nag RDS11, AEC5); the URLs carry them. */
export const DATABASE_PORT = 5433;
export const REDIS_PORT = 6380;
export const MEMCACHED_PORT = 11212;
/** The database and its owner the service connects as. */
export const DATABASE_NAME = 'kairos';
export const DATABASE_USER = 'kairos';
/** Characters a generated password must not contain: it is pasted into a URL unescaped. */
const NOT_IN_URL = ' !"#$%&\'()*+,/:;<=>?@[\\]^`{|}~';

/** The buckets' names: fixed (account and region make them globally unique), so IAM names them. */
export function bucketNames(config: StageConfig): {
  marketData: string;
  artifacts: string;
  audit: string;
} {
  const n = (what: string) => `kairos-${config.stage}-${what}-${config.account}-${config.region}`;
  return { marketData: n('market-data'), artifacts: n('artifacts'), audit: n('audit') };
}

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything that holds data (AWS CDK guide: stateful and stateless resources in separate
 * stacks): the network, the keys, Postgres, Redis, optional Memcached and the buckets. Every
 * data resource is RETAINed and the stack has termination protection. The construct ids below
 * are the logical ids' source: `test/logical-ids.test.ts` pins them, because renaming one
 * would make CloudFormation replace a database.
 */
export class StatefulStack extends Stack {
  readonly config: StageConfig;
  readonly vpc: ec2.Vpc;
  /** Encrypts the data at rest: RDS, ElastiCache, S3, the secrets, the logs. */
  readonly storageKey: kms.Key;
  /** Wraps the service's field-encryption data keys (`KMS_KEY_ID`). */
  readonly fieldKey: kms.Key;
  readonly database: rds.DatabaseInstance;
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  readonly cacheSecurityGroup: ec2.SecurityGroup;
  /** `DATABASE_URL`, `REDIS_URL`: whole URLs with their passwords, for the task's secrets. */
  readonly databaseUrl: secretsmanager.Secret;
  readonly redisUrl: secretsmanager.Secret;
  /** `MEMCACHED_SERVERS` when Memcached is enabled. */
  readonly memcachedServers: string | undefined;
  readonly marketDataBucket: s3.Bucket;
  readonly artifactsBucket: s3.Bucket;
  readonly auditBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { config } = props;
    this.config = config;

    this.storageKey = new kms.Key(this, 'StorageKey', {
      alias: `alias/kairos-${config.stage}-storage`,
      description: `Kairos ${config.stage}: data at rest (RDS, ElastiCache, S3, secrets, logs)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.fieldKey = new kms.Key(this, 'FieldKey', {
      alias: `alias/kairos-${config.stage}-fields`,
      description: `Kairos ${config.stage}: field encryption (KMS_KEY_ID, docs/encryption.md)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    const dataSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    // Postgres: Multi-AZ, encrypted with the storage key, 7-35 days of PITR, deletion protection.
    this.databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'Kairos Postgres: only the service tasks connect',
      allowAllOutbound: false,
    });
    this.database = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: new ec2.InstanceType(config.database.instanceClass),
      vpc: this.vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [this.databaseSecurityGroup],
      port: DATABASE_PORT,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER, {
        encryptionKey: this.storageKey,
        excludeCharacters: NOT_IN_URL,
      }),
      multiAz: true,
      publiclyAccessible: false,
      storageEncrypted: true,
      storageEncryptionKey: this.storageKey,
      storageType: rds.StorageType.GP3,
      allocatedStorage: config.database.allocatedStorageGiB,
      maxAllocatedStorage: config.database.maxAllocatedStorageGiB,
      backupRetention: Duration.days(config.database.backupRetentionDays),
      deleteAutomatedBackups: false,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.storageKey,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: logs.RetentionDays.ONE_YEAR,
      parameterGroup: new rds.ParameterGroup(this, 'DatabaseParameters', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
        parameters: { 'rds.force_ssl': '1' },
      }),
    });
    const dbSecret = this.database.secret as secretsmanager.ISecret;
    // The service reads one DATABASE_URL (src/system/config.ts), not its parts: this secret is
    // that URL, assembled by CloudFormation from a dynamic reference to the generated password
    // (never in the template). See docs/deploy.md, "Rotating keys", for the password.
    this.databaseUrl = new secretsmanager.Secret(this, 'DatabaseUrl', {
      description: `Kairos ${config.stage}: DATABASE_URL`,
      encryptionKey: this.storageKey,
      secretStringValue: SecretValue.unsafePlainText(
        `postgres://${DATABASE_USER}:${dbSecret.secretValueFromJson('password').unsafeUnwrap()}@${this.database.dbInstanceEndpointAddress}:${DATABASE_PORT}/${DATABASE_NAME}?sslmode=require`,
      ),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Redis: TLS in transit, AUTH token, encrypted at rest, a replica in the other AZ.
    this.cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc: this.vpc,
      description: 'Kairos Redis and Memcached: only the service tasks connect',
      allowAllOutbound: false,
    });
    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      description: 'Kairos caches: isolated subnets',
      subnetIds: this.vpc.selectSubnets(dataSubnets).subnetIds,
    });
    const redisAuth = new secretsmanager.Secret(this, 'RedisAuthToken', {
      description: `Kairos ${config.stage}: the Redis AUTH token`,
      encryptionKey: this.storageKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: `Kairos ${config.stage} Redis`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: config.redis.nodeType,
      numCacheClusters: 2,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      port: REDIS_PORT,
      cacheSubnetGroupName: cacheSubnets.ref,
      securityGroupIds: [this.cacheSecurityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      kmsKeyId: this.storageKey.keyId,
      authToken: redisAuth.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: 7,
      autoMinorVersionUpgrade: true,
    });
    redis.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.redisUrl = new secretsmanager.Secret(this, 'RedisUrl', {
      description: `Kairos ${config.stage}: REDIS_URL`,
      encryptionKey: this.storageKey,
      secretStringValue: SecretValue.unsafePlainText(
        `rediss://:${redisAuth.secretValue.unsafeUnwrap()}@${redis.attrPrimaryEndPointAddress}:${REDIS_PORT}`,
      ),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (config.memcached.enabled) {
      const memcached = new elasticache.CfnCacheCluster(this, 'Memcached', {
        engine: 'memcached',
        cacheNodeType: config.memcached.nodeType,
        numCacheNodes: config.memcached.nodes,
        azMode: config.memcached.nodes > 1 ? 'cross-az' : 'single-az',
        port: MEMCACHED_PORT,
        cacheSubnetGroupName: cacheSubnets.ref,
        vpcSecurityGroupIds: [this.cacheSecurityGroup.securityGroupId],
      });
      this.memcachedServers = `${memcached.attrConfigurationEndpointAddress}:${MEMCACHED_PORT}`;
    }

    // Buckets: KMS, TLS only, no public access, versioned, server access logs, RETAINed.
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The server access logs bucket does not log access to itself (it would log forever).',
    });
    const names = bucketNames(config);
    const bucket = (id: string, bucketName: string, extra: Partial<s3.BucketProps> = {}) =>
      new s3.Bucket(this, id, {
        bucketName,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.storageKey,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${id}/`,
        removalPolicy: RemovalPolicy.RETAIN,
        ...extra,
      });
    this.marketDataBucket = bucket('MarketDataBucket', names.marketData);
    this.artifactsBucket = bucket('ArtifactsBucket', names.artifacts);
    // Audit exports: WORM. COMPLIANCE mode: nobody, root included, can shorten or remove it.
    this.auditBucket = bucket('AuditBucket', names.audit, {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(
        Duration.days(config.audit.objectLockRetentionDays),
      ),
    });

    Validations.of(this.database).acknowledge({
      id: 'AwsSolutions-RDS6',
      reason:
        'Kairos connects with the password in DATABASE_URL (node-postgres); it has no IAM database authentication.',
    });
    // The generated secret itself (`database.secret` is its attachment to the instance).
    const generated = this.database.node.findChild('Secret');
    for (const s of [generated, this.databaseUrl, redisAuth, this.redisUrl])
      Validations.of(s).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Not rotated automatically: DATABASE_URL and REDIS_URL embed the password, so a rotation is a planned redeploy (docs/deploy.md, "Rotating keys").',
      });

    // The Lambda function CDK adds to set the RDS log groups' retention.
    const logRetention = this.node.tryFindChild('LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a');
    if (logRetention) {
      Validations.of(logRetention).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's log-retention function: the AWS managed policy only lets it write its own logs.",
      });
      Validations.of(logRetention).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "CDK's log-retention function sets the retention of log groups RDS creates at run time (names unknown here).",
      });
    }
  }
}
