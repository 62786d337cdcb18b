import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { kairosApp } from '../lib/kairos-app.js';
import { loadStageConfigs, type StageConfig } from '../lib/stage-config.js';

export const CONFIG_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../config/stages.json',
);

/** The app as `bin/app.ts` builds it, with a registry image (no build context to copy). */
export function testApp(edit?: (stages: Record<'dev' | 'prod', StageConfig>) => void) {
  const stages = loadStageConfigs(CONFIG_FILE);
  edit?.(stages);
  return kairosApp({
    stages,
    stageAssets: false,
    image: () => ecs.ContainerImage.fromRegistry('kairos:test'),
  });
}
