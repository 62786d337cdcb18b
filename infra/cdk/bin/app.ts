// The CDK app: `npm run cdk:synth` at the root writes infra/cdk/cdk.out (offline); deploy with
// `npx cdk deploy --app cdk.out <stack>` from infra/cdk (docs/deploy.md).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStageConfigs, StageConfigError } from '../lib/stage-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const configFile = process.env.KAIROS_STAGES_FILE ?? path.join(here, '../config/stages.json');

try {
  const stages = loadStageConfigs(configFile);
  // aws-cdk-lib and cdk-nag load once the config is good: a bad value stops synth in ~0.3 s of
  // CPU, not ~1.3 s (`stage-config.test.ts` runs this file).
  const [{ kairosApp }, ecs] = await Promise.all([
    import('../lib/kairos-app.js'),
    import('aws-cdk-lib/aws-ecs'),
  ]);
  const { app } = kairosApp({
    stages,
    outdir: process.env.CDK_OUTDIR ?? path.join(here, '../cdk.out'),
    // The repository's Dockerfile; .dockerignore keeps the build context small.
    image: () => ecs.ContainerImage.fromAsset(repo, { file: 'Dockerfile' }),
  });
  app.synth();
} catch (e) {
  if (!(e instanceof StageConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exitCode = 1;
}
