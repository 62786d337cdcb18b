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

  it('has no stateful resource that is not pinned', () => {
    const unpinned = Object.entries(resources)
      .filter(([id, r]) => STATEFUL_TYPES.has(r.Type) && !(id in PINNED[stage]))
      .map(([id, r]) => `${r.Type} ${id} is not pinned in logical-ids.test.ts`);
    expect(unpinned).toEqual([]);
  });
});
