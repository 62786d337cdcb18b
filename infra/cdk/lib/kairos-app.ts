import { App, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AlarmDefinitionLike } from './alarms.js';
import { ALARM_DEFINITIONS } from './alarm-definitions.js';
import { STAGES, type StageConfig, type StageName } from './stage-config.js';
import { StatefulStack } from './stateful-stack.js';
import { StatelessStack } from './stateless-stack.js';

export interface KairosAppOptions {
  readonly stages: Record<StageName, StageConfig>;
  /** The service image for a stage (the app: the repository's Dockerfile as an asset). */
  readonly image: (app: App) => ecs.ContainerImage;
  readonly alarms?: readonly AlarmDefinitionLike[];
  /** Where the cloud assembly goes (default: CDK_OUTDIR, else a temporary folder). */
  readonly outdir?: string;
  /** Tests skip copying the image's build context into the assembly. */
  readonly stageAssets?: boolean;
  /**
   * aws-cdk-lib's built-in CloudFormation validation (default on, as `cdk synth` runs it; its
   * findings are warnings). Tests turn it off but in the one test that checks it: its WebAssembly
   * engine costs ~4 s of CPU a synth under Jest.
   */
  readonly cloudFormationValidation?: boolean;
}

export interface StagePair {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * The Kairos CDK app: for each stage `kairos-<stage>-stateful` and `kairos-<stage>-stateless`,
 * with cdk-nag's AwsSolutions checks validating every stack at synth.
 */
export function kairosApp(options: KairosAppOptions): {
  app: App;
  stacks: Record<StageName, StagePair>;
} {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
    context: {
      // Server access logs delivered under a bucket policy, not an ACL (buckets own their objects).
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...(options.stageAssets === false ? { 'aws:cdk:disable-asset-staging': true } : {}),
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const image = options.image(app);
  const stacks = {} as Record<StageName, StagePair>;
  for (const stage of STAGES) {
    const config = options.stages[stage];
    const env = { account: config.account, region: config.region };
    const stateful = new StatefulStack(app, `kairos-${stage}-stateful`, {
      env,
      config,
      description: `Kairos ${stage}: network, keys, Postgres, Redis, buckets (data: RETAIN)`,
    });
    const stateless = new StatelessStack(app, `kairos-${stage}-stateless`, {
      env,
      config,
      data: stateful,
      image,
      alarms: options.alarms ?? ALARM_DEFINITIONS,
      description: `Kairos ${stage}: the service on ECS Fargate, roles, alarms, dashboard`,
    });
    stacks[stage] = { stateful, stateless };
  }
  return { app, stacks };
}
