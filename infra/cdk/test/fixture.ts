import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { kairosApp } from '../lib/kairos-app.js';
import { loadStageConfigs, type StageConfig } from '../lib/stage-config.js';

export const CONFIG_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../config/stages.json',
);

/**
 * The app as `bin/app.ts` builds it, with a registry image (no build context to copy) and
 * without aws-cdk-lib's built-in CloudFormation validation unless asked (`nag.test.ts` checks
 * it on the real stacks; cdk-nag's checks run in every synth).
 */
export function testApp(
  edit?: (stages: Record<'dev' | 'prod', StageConfig>) => void,
  { cloudFormationValidation = false }: { cloudFormationValidation?: boolean } = {},
) {
  const stages = loadStageConfigs(CONFIG_FILE);
  edit?.(stages);
  return kairosApp({
    stages,
    stageAssets: false,
    cloudFormationValidation,
    image: () => ecs.ContainerImage.fromRegistry('kairos:test'),
  });
}
