import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from './fixture.js';

/**
 * The stateful resources' logical ids. CloudFormation replaces a resource whose logical id
 * changes (a renamed construct, a moved scope): for these that means a new, empty database,
 * cache or bucket. A change here must be a decision, with a data migration.
 */
const COMMON: Record<string, string> = {
  StorageKeyB6649B55: 'AWS::KMS::Key',
  FieldKey5DAFDAA4: 'AWS::KMS::Key',
  DatabaseB269D8BB: 'AWS::RDS::DBInstance',
  Redis: 'AWS::ElastiCache::ReplicationGroup',
  AccessLogsBucket83982689: 'AWS::S3::Bucket',
  MarketDataBucket61DF0C4C: 'AWS::S3::Bucket',
  ArtifactsBucket2AAC5544: 'AWS::S3::Bucket',
  AuditBucketB01E0AE8: 'AWS::S3::Bucket',
  DatabaseUrl8D88187D: 'AWS::SecretsManager::Secret',
  RedisAuthToken241E45D5: 'AWS::SecretsManager::Secret',
  RedisUrl6F5300AD: 'AWS::SecretsManager::Secret',
};
/** The generated database password's id carries the stack name. */
const PINNED: Record<'dev' | 'prod', Record<string, string>> = {
  dev: {
    ...COMMON,
    kairosdevstatefulDatabaseSecret6DBB8855d321368f3139e0a1d2b89fc2c4b77f73:
      'AWS::SecretsManager::Secret',
  },
  prod: {
    ...COMMON,
    kairosprodstatefulDatabaseSecretDFD3E930d321368f3139e0a1d2b89fc2c4b77f73:
      'AWS::SecretsManager::Secret',
  },
};

/**
 * Properties whose change makes CloudFormation replace the resource (the AWS resource reference,
 * "Update requires: Replacement"), pinned to their values in both stages.
 */
const REPLACING: Record<string, readonly string[]> = {
  'AWS::RDS::DBInstance': [
    'Engine',
    'DBName',
    'MasterUsername',
    'StorageEncrypted',
    'KmsKeyId',
    'DBSubnetGroupName',
  ],
  'AWS::ElastiCache::ReplicationGroup': [
    'Engine',
    'AtRestEncryptionEnabled',
    'KmsKeyId',
    'CacheSubnetGroupName',
  ],
  'AWS::S3::Bucket': ['BucketName', 'ObjectLockEnabled'],
  'AWS::KMS::Key': ['KeySpec', 'KeyUsage', 'MultiRegion'],
};

/** Their values now: changing one is a decision (a new, empty resource), made here too. */
const REPLACING_VALUES: Record<'dev' | 'prod', Record<string, unknown>> = {
  dev: {
    'DatabaseB269D8BB.Engine': 'postgres',
    'DatabaseB269D8BB.DBName': 'kairos',
    'DatabaseB269D8BB.MasterUsername': 'kairos',
    'DatabaseB269D8BB.StorageEncrypted': true,
    'DatabaseB269D8BB.KmsKeyId': {
      'Fn::GetAtt': ['StorageKeyB6649B55', 'Arn'],
    },
    'DatabaseB269D8BB.DBSubnetGroupName': {
      Ref: 'DatabaseSubnetGroup7D60F180',
    },
    'Redis.Engine': 'redis',
    'Redis.AtRestEncryptionEnabled': true,
    'Redis.KmsKeyId': {
      Ref: 'StorageKeyB6649B55',
    },
    'Redis.CacheSubnetGroupName': {
      Ref: 'CacheSubnets',
    },
    'MarketDataBucket61DF0C4C.BucketName': 'kairos-dev-market-data-111111111111-eu-west-1',
    'ArtifactsBucket2AAC5544.BucketName': 'kairos-dev-artifacts-111111111111-eu-west-1',
    'AuditBucketB01E0AE8.BucketName': 'kairos-dev-audit-111111111111-eu-west-1',
    'AuditBucketB01E0AE8.ObjectLockEnabled': true,
  },
  prod: {
    'DatabaseB269D8BB.Engine': 'postgres',
    'DatabaseB269D8BB.DBName': 'kairos',
    'DatabaseB269D8BB.MasterUsername': 'kairos',
    'DatabaseB269D8BB.StorageEncrypted': true,
    'DatabaseB269D8BB.KmsKeyId': {
      'Fn::GetAtt': ['StorageKeyB6649B55', 'Arn'],
    },
    'DatabaseB269D8BB.DBSubnetGroupName': {
      Ref: 'DatabaseSubnetGroup7D60F180',
    },
    'Redis.Engine': 'redis',
    'Redis.AtRestEncryptionEnabled': true,
    'Redis.KmsKeyId': {
      Ref: 'StorageKeyB6649B55',
    },
    'Redis.CacheSubnetGroupName': {
      Ref: 'CacheSubnets',
    },
    'MarketDataBucket61DF0C4C.BucketName': 'kairos-prod-market-data-222222222222-eu-west-1',
    'ArtifactsBucket2AAC5544.BucketName': 'kairos-prod-artifacts-222222222222-eu-west-1',
    'AuditBucketB01E0AE8.BucketName': 'kairos-prod-audit-222222222222-eu-west-1',
    'AuditBucketB01E0AE8.ObjectLockEnabled': true,
  },
};

const STATEFUL_TYPES = new Set(Object.values(COMMON));

const { stacks } = testApp();

describe.each(['dev', 'prod'] as const)('stateful logical ids (%s)', (stage) => {
  const resources = Template.fromStack(stacks[stage].stateful).toJSON().Resources as Record<
    string,
    { Type: string }
  >;

  it('keeps every pinned stateful resource under its logical id', () => {
    const replaced = Object.entries(PINNED[stage])
      .filter(([id, type]) => resources[id]?.Type !== type)
      .map(([id, type]) => `${type} ${id} would be replaced (its logical id is gone)`);
    expect(replaced).toEqual([]);
  });

  it('keeps the properties whose change would replace a stateful resource', () => {
    const replaced: string[] = [];
    for (const [id, type] of Object.entries(PINNED[stage])) {
      const props = (resources[id] as { Properties?: Record<string, unknown> } | undefined)
        ?.Properties;
      for (const p of REPLACING[type] ?? []) {
        const expected = JSON.stringify(REPLACING_VALUES[stage][`${id}.${p}`]);
        const actual = JSON.stringify(props?.[p]);
        if (actual !== expected)
          replaced.push(`${type} ${id}: ${p} ${expected} -> ${actual} would replace it`);
      }
    }
    expect(replaced).toEqual([]);
  });

  it('has no stateful resource that is not pinned', () => {
    const unpinned = Object.entries(resources)
      .filter(([id, r]) => STATEFUL_TYPES.has(r.Type) && !(id in PINNED[stage]))
      .map(([id, r]) => `${r.Type} ${id} is not pinned in logical-ids.test.ts`);
    expect(unpinned).toEqual([]);
  });
});
