import { readFileSync } from 'node:fs';

/** The stages one config file describes. */
export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/** The log levels `LOG_LEVEL` accepts (src/trading/core/logger.ts). */
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One stage's settings, as `config/stages.json` gives them (docs/deploy.md lists each). */
export interface StageConfig {
  readonly stage: StageName;
  readonly account: string;
  readonly region: string;
  /** An ACM certificate in `region` for the load balancer's HTTPS listener. */
  readonly certificateArn: string;
  readonly natGateways: number;
  readonly database: {
    readonly instanceClass: string;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    readonly backupRetentionDays: number;
  };
  readonly redis: { readonly nodeType: string };
  readonly memcached: {
    readonly enabled: boolean;
    readonly nodeType: string;
    readonly nodes: number;
  };
  readonly audit: { readonly objectLockRetentionDays: number };
  readonly service: {
    readonly cpu: number;
    readonly memoryMiB: number;
    readonly minTasks: number;
    readonly maxTasks: number;
    readonly cpuTargetPercent: number;
    readonly requestsPerTarget: number;
    readonly idleTimeoutSeconds: number;
    readonly logLevel: (typeof LOG_LEVELS)[number];
    readonly logRetentionDays: number;
    /** The market data `kairos serve` replays: a key of the market-data bucket, its symbol. */
    readonly feed: { readonly key: string; readonly symbol: string };
  };
  readonly metrics: { readonly namespace: string };
  /** Where alarm notifications go (an SNS email subscription); null: the topic only. */
  readonly alarmEmail: string | null;
}

/** A bad or missing setting: the message is one line naming the key and the rule. */
export class StageConfigError extends Error {
  constructor(
    readonly key: string,
    rule: string,
  ) {
    super(`stage config ${key}: ${rule}`);
    this.name = 'StageConfigError';
  }
}

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
/** Fargate's CPU units and the memory (MiB) each allows. */
const FARGATE_MEMORY: Record<number, readonly [number, number]> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
};

type Json = unknown;

/** Reads one key of an object, failing with its dotted path when it is absent. */
class Reader {
  constructor(
    private readonly value: Record<string, Json>,
    private readonly path: string,
  ) {}

  static of(value: Json, path: string): Reader {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new StageConfigError(path, 'must be an object');
    return new Reader(value as Record<string, Json>, path);
  }

  key(name: string): string {
    return `${this.path}.${name}`;
  }

  #get(name: string): Json {
    if (!(name in this.value)) throw new StageConfigError(this.key(name), 'is missing');
    return this.value[name];
  }

  /** The value as given, `undefined` when absent. */
  raw(name: string): Json {
    return this.value[name];
  }

  object(name: string): Reader {
    return Reader.of(this.#get(name), this.key(name));
  }

  string(name: string, pattern: RegExp, rule: string): string {
    const v = this.#get(name);
    if (typeof v !== 'string' || !pattern.test(v))
      throw new StageConfigError(this.key(name), `must be ${rule}, was ${JSON.stringify(v)}`);
    return v;
  }

  int(name: string, min: number, max: number): number {
    const v = this.#get(name);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new StageConfigError(
        this.key(name),
        `must be an integer ${min}-${max}, was ${JSON.stringify(v)}`,
      );
    return v;
  }

  oneOf<T extends string | number>(name: string, values: readonly T[]): T {
    const v = this.#get(name);
    if (!values.includes(v as T))
      throw new StageConfigError(
        this.key(name),
        `must be one of ${values.join(', ')}, was ${JSON.stringify(v)}`,
      );
    return v as T;
  }

  boolean(name: string): boolean {
    const v = this.#get(name);
    if (typeof v !== 'boolean')
      throw new StageConfigError(this.key(name), `must be true or false, was ${JSON.stringify(v)}`);
    return v;
  }

  /** No key but the known ones: a misspelt optional key must not be silently ignored. */
  only(names: readonly string[]): void {
    for (const k of Object.keys(this.value))
      if (!names.includes(k)) throw new StageConfigError(this.key(k), 'is not a known setting');
  }
}

const NODE_TYPE = /^cache\.[a-z0-9]+\.[a-z0-9]+$/;

function stage(stageName: StageName, r: Reader): StageConfig {
  r.only([
    'account',
    'region',
    'certificateArn',
    'natGateways',
    'database',
    'redis',
    'memcached',
    'audit',
    'service',
    'metrics',
    'alarmEmail',
  ]);
  const region = r.string('region', /^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region such as eu-west-1');
  const db = r.object('database');
  db.only([
    'instanceClass',
    'allocatedStorageGiB',
    'maxAllocatedStorageGiB',
    'backupRetentionDays',
  ]);
  const allocated = db.int('allocatedStorageGiB', 20, 65536);
  const redis = r.object('redis');
  redis.only(['nodeType']);
  const mc = r.object('memcached');
  mc.only(['enabled', 'nodeType', 'nodes']);
  const svc = r.object('service');
  svc.only([
    'cpu',
    'memoryMiB',
    'minTasks',
    'maxTasks',
    'cpuTargetPercent',
    'requestsPerTarget',
    'idleTimeoutSeconds',
    'logLevel',
    'logRetentionDays',
    'feed',
  ]);
  const feed = svc.object('feed');
  feed.only(['key', 'symbol']);
  const cpu = svc.oneOf('cpu', [256, 512, 1024, 2048, 4096]);
  const [memMin, memMax] = FARGATE_MEMORY[cpu] ?? [512, 2048];
  const minTasks = svc.int('minTasks', 2, 100);
  const audit = r.object('audit');
  audit.only(['objectLockRetentionDays']);
  const metrics = r.object('metrics');
  metrics.only(['namespace']);
  const email = r.key('alarmEmail');
  const alarmEmail = (() => {
    const v = r.raw('alarmEmail');
    if (v === undefined) throw new StageConfigError(email, 'is missing (null for none)');
    if (v === null) return null;
    if (typeof v !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v))
      throw new StageConfigError(
        email,
        `must be an email address or null, was ${JSON.stringify(v)}`,
      );
    return v;
  })();
  return {
    stage: stageName,
    account: r.string('account', /^\d{12}$/, 'a 12-digit AWS account id'),
    region,
    certificateArn: r.string(
      'certificateArn',
      new RegExp(`^arn:aws[a-z-]*:acm:${region}:\\d{12}:certificate/[0-9a-f-]{36}$`),
      `an ACM certificate ARN in ${region}`,
    ),
    natGateways: r.int('natGateways', 1, 2),
    database: {
      instanceClass: db.string(
        'instanceClass',
        /^[a-z][a-z0-9]*\.[a-z0-9]+$/,
        'an RDS instance class without the db. prefix, such as t4g.micro',
      ),
      allocatedStorageGiB: allocated,
      maxAllocatedStorageGiB: db.int('maxAllocatedStorageGiB', allocated, 65536),
      backupRetentionDays: db.int('backupRetentionDays', 1, 35),
    },
    redis: { nodeType: redis.string('nodeType', NODE_TYPE, 'an ElastiCache node type') },
    memcached: {
      enabled: mc.boolean('enabled'),
      nodeType: mc.string('nodeType', NODE_TYPE, 'an ElastiCache node type'),
      nodes: mc.int('nodes', 1, 40),
    },
    audit: { objectLockRetentionDays: audit.int('objectLockRetentionDays', 1, 36500) },
    service: {
      cpu,
      memoryMiB: svc.int('memoryMiB', memMin, memMax),
      minTasks,
      maxTasks: svc.int('maxTasks', minTasks, 100),
      cpuTargetPercent: svc.int('cpuTargetPercent', 10, 90),
      requestsPerTarget: svc.int('requestsPerTarget', 1, 1_000_000),
      // The ALB's limit; WebSockets need far more than the default 60 s.
      idleTimeoutSeconds: svc.int('idleTimeoutSeconds', 300, 4000),
      logLevel: svc.oneOf('logLevel', LOG_LEVELS),
      logRetentionDays: svc.oneOf('logRetentionDays', LOG_RETENTION_DAYS),
      feed: {
        key: feed.string('key', /^[\w./-]{1,512}$/, 'an S3 key of the market-data bucket'),
        symbol: feed.string(
          'symbol',
          /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/,
          'a symbol such as BTC/USDT',
        ),
      },
    },
    metrics: {
      namespace: metrics.string(
        'namespace',
        /^[A-Za-z0-9._/#:-]{1,255}$/,
        'a CloudWatch namespace',
      ),
    },
    alarmEmail,
  };
}

/**
 * Validates the parsed stages file and returns every stage; the first bad or missing setting
 * throws a `StageConfigError` naming its key (`prod.database.backupRetentionDays`).
 */
export function parseStageConfigs(json: Json): Record<StageName, StageConfig> {
  const root = Reader.of(json, 'stages');
  root.only(STAGES);
  const out = {} as Record<StageName, StageConfig>;
  for (const name of STAGES) {
    if (root.raw(name) === undefined) throw new StageConfigError(name, 'is missing');
    out[name] = stage(name, Reader.of(root.raw(name), name));
  }
  return out;
}

/** Reads and validates a stages file (JSON). */
export function loadStageConfigs(file: string): Record<StageName, StageConfig> {
  let json: Json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StageConfigError(file, `is not readable JSON (${(e as Error).message})`);
  }
  return parseStageConfigs(json);
}
