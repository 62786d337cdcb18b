import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { cliConfig } from './cli-config.js';
import { numberFlag } from './parse-flags.js';
import { checkPortFree } from './port-check.js';

/** Registers `kairos lambda serve`: a local endpoint speaking Lambda's REST API. */
export function registerLambda(program: Command): void {
  const lambda = program.command('lambda').description('a local AWS Lambda endpoint');
  lambda
    .command('serve')
    .description(
      "serve Lambda's REST API locally (create/update/publish/alias/invoke); @aws-sdk/client-lambda talks to it with AWS_ENDPOINT_URL_LAMBDA set",
    )
    .option('--port <port>', 'TCP port (0 = any free port)', '9001')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--verbose', 'print every request')
    .action((flags: { port: string; host: string; verbose?: boolean }) => serve(flags));
}

async function serve(flags: { port: string; host: string; verbose?: boolean }): Promise<void> {
  const port = numberFlag('--port', flags.port, { integer: true, max: 65535 });
  // A taken port fails before the work folder is touched (another server's code is in its own).
  await checkPortFree(flags.host, port);
  const { startLocalLambda } = await import('../cloud/lambda/local-lambda-server.js');
  const config = cliConfig();
  // One folder per server process: a second server on another port leaves the first one's code.
  const workDir = path.join(config.home, 'lambda', `serve-${process.pid}`);
  // The region clients pointed at this endpoint sign for (config.ts: us-east-1 without AWS_REGION).
  const region = config.objectStore.region ?? 'us-east-1';
  const lambda = await startLocalLambda({
    port,
    host: flags.host,
    region,
    workDir,
    log: flags.verbose ? (line) => process.stdout.write(`${line}\n`) : undefined,
  });
  process.stdout.write(
    `Local Lambda endpoint on ${lambda.url}, region ${region} (AWS_REGION; functions in memory; code unpacked under ${workDir})\n` +
      `  use it with: AWS_ENDPOINT_URL_LAMBDA=${lambda.url} kairos strategy deploy <file.ts> --name <name>\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await lambda.close();
  await rm(workDir, { recursive: true, force: true });
}
