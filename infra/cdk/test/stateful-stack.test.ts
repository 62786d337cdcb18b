import { Match, Template } from 'aws-cdk-lib/assertions';
import { bucketNames } from '../lib/stateful-stack.js';
import { testApp } from './fixture.js';

// One synth for the whole file (cdk-nag runs in it: a finding would throw here). Memcached is
// enabled in dev only, to test both cases with one app.
const { stacks } = testApp((s) => {
  s.dev = { ...s.dev, memcached: { ...s.dev.memcached, enabled: true } };
});
const stack = stacks.prod.stateful;
const template = Template.fromStack(stack);

describe('stateful stack (prod)', () => {
  it('has termination protection', () => {
    expect(stack.terminationProtection).toBe(true);
  });

  it('runs Postgres Multi-AZ, encrypted with the storage key, private, protected, with PITR', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        Engine: 'postgres',
        MultiAZ: true,
        PubliclyAccessible: false,
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StorageKey'), 'Arn'] },
        DeletionProtection: true,
        BackupRetentionPeriod: 30,
        DeleteAutomatedBackups: false,
      }),
    });
  });

  it('puts the database in isolated subnets, reachable from no CIDR', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('Postgres') },
    });
    for (const g of Object.values(groups))
      expect(g.Properties.SecurityGroupIngress ?? []).toEqual([]);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcdataSubnet1') }]),
    });
  });

  it('forces TLS on Postgres', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  it('runs Redis with TLS, AUTH from Secrets Manager and encryption at rest, in two AZs', () => {
    template.hasResource('AWS::ElastiCache::ReplicationGroup', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        MultiAZEnabled: true,
        NumCacheClusters: 2,
        AuthToken: {
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:')]),
          ],
        },
      }),
    });
  });

  it('keeps the URLs with passwords out of the template (dynamic references only)', () => {
    const text = JSON.stringify(template.toJSON());
    const urls = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('_URL$') },
    });
    expect(Object.keys(urls)).toHaveLength(2);
    for (const u of Object.values(urls))
      expect(JSON.stringify(u.Properties.SecretString)).toContain('{{resolve:secretsmanager:');
    expect(text).not.toMatch(/postgres:\/\/kairos:[A-Za-z0-9]/);
  });

  it('locks the audit bucket in COMPLIANCE mode for the configured retention', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: bucketNames(stack.config).audit,
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('encrypts every data bucket with the storage key, blocks public access and retains it', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(4);
    for (const [id, b] of Object.entries(buckets)) {
      expect([id, b.DeletionPolicy]).toEqual([id, 'Retain']);
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const sse = b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
      if (id.startsWith('AccessLogs')) continue; // log delivery needs SSE-S3
      expect(sse.ServerSideEncryptionByDefault).toEqual({
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^StorageKey/), 'Arn'] },
      });
    }
  });

  it('denies plain HTTP on every bucket', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(4);
    for (const p of Object.values(policies))
      expect(p.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
  });

  it('makes two rotating KMS keys (storage, fields), retained', () => {
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys).sort()).toEqual([
      expect.stringMatching(/^FieldKey/),
      expect.stringMatching(/^StorageKey/),
    ]);
    for (const k of Object.values(keys)) {
      expect(k.Properties.EnableKeyRotation).toBe(true);
      expect(k.DeletionPolicy).toBe('Retain');
    }
  });

  it('has no Memcached unless the stage enables it', () => {
    template.resourceCountIs('AWS::ElastiCache::CacheCluster', 0);
    Template.fromStack(stacks.dev.stateful).hasResourceProperties(
      'AWS::ElastiCache::CacheCluster',
      { Engine: 'memcached', Port: 11212 },
    );
    Template.fromStack(stacks.dev.stateless).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([Match.objectLike({ Name: 'MEMCACHED_SERVERS' })]),
        }),
      ],
    });
  });

  it('matches its snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
