import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { ChangeBy, LambdaDeployments } from '../system/lambda-deployments.js';
import { KairosError } from '../trading/core/errors.js';
import { actorOf, actorOption, cliConfig } from './cli-config.js';
import { numberFlag } from './parse-flags.js';
import { writePlainTable } from './plain-table.js';

interface PackageFlags {
  out: string;
  export?: string;
}

/** Writes a file under a temporary name, then renames it (a reader never sees half of it). */
async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Registers `kairos strategy`: package a strategy file as a Lambda function (and deploy it). */
export function registerStrategy(program: Command): void {
  const cmd = program
    .command('strategy')
    .description('strategies as AWS Lambda functions: package, deploy, versions, rollback, remove');
  cmd
    .command('package')
    .description(
      'bundle a strategy file and its Lambda handler into a deployable zip with a manifest (same file: same bytes)',
    )
    .argument('<file>', 'the strategy file (.ts)')
    .option('--out <dir>', 'folder for <name>.zip and <name>.manifest.json', '.')
    .option('--export <name>', 'the strategy export to package (default: the default export)')
    .action((file: string, flags: PackageFlags) => packageCommand(file, flags));
  cmd
    .command('deploy')
    .description(
      'package a strategy file and deploy it as a Lambda function: create or update, publish a version, move the alias live to it (audited)',
    )
    .argument('<file>', 'the strategy file (.ts)')
    .requiredOption('--name <function>', 'the Lambda function name')
    .option('--role <arn>', 'the IAM role the function runs as (needed to create it on AWS)')
    .option('--memory <MB>', 'memory size, 128-10240 MB (default 256 on create)')
    .option('--timeout <s>', 'timeout of one step, 1-900 s (default 10 on create)')
    .option('--export <name>', 'the strategy export to deploy (default: the default export)')
    .option(...actorOption('who deploys (audited)'))
    .action((file: string, flags: DeployFlags) => deployCommand(file, flags));
  cmd
    .command('versions')
    .description("a function's published versions; the one live points to is marked")
    .argument('<function>', 'the Lambda function name')
    .option('--json', 'print JSON')
    .action((name: string, flags: { json?: boolean }) => versionsCommand(name, flags));
  cmd
    .command('rollback')
    .description('move the alias live to an earlier published version (audited)')
    .argument('<function>', 'the Lambda function name')
    .requiredOption('--to <version>', 'the published version to run')
    .option(...actorOption('who rolls back (audited)'))
    .action((name: string, flags: { to: string; actor?: string }) => rollbackCommand(name, flags));
  cmd
    .command('remove')
    .description('delete the function, its versions and aliases (audited)')
    .argument('<function>', 'the Lambda function name')
    .option(...actorOption('who removes it (audited)'))
    .action((name: string, flags: { actor?: string }) => removeCommand(name, flags));
}

interface DeployFlags {
  name: string;
  role?: string;
  memory?: string;
  timeout?: string;
  export?: string;
  actor?: string;
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function functionName(flag: string, name: string): string {
  if (!FUNCTION_NAME.test(name))
    throw new KairosError(
      'USAGE',
      `${flag}: a Lambda function name is 1-64 letters, digits, - or _, was ${JSON.stringify(name)}`,
    );
  return name;
}

function rangeFlag(flag: string, value: string, min: number, max: number, unit: string): number {
  const n = numberFlag(flag, value, { integer: true, max });
  if (n < min)
    throw new KairosError('USAGE', `${flag}: must be ${min}-${max} ${unit}, was ${value}`);
  return n;
}

/** Runs `work` with the deployments of the configured store and Lambda endpoint. */
async function withDeployments<T>(work: (d: LambdaDeployments) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const { openConfiguredStore } = await import('../system/open-configured-store.js');
  const { LambdaDeployments } = await import('../system/lambda-deployments.js');
  // The store first: a change that cannot be audited is not made.
  const store = await openConfiguredStore(config);
  const d = new LambdaDeployments(config, store);
  try {
    return await work(d);
  } finally {
    d.close();
    await store.close();
  }
}

const by = (flags: { actor?: string }): ChangeBy => ({ actor: actorOf(flags), role: 'cli' });

async function deployCommand(file: string, flags: DeployFlags): Promise<void> {
  const name = functionName('--name', flags.name);
  const memoryMb =
    flags.memory !== undefined ? rangeFlag('--memory', flags.memory, 128, 10240, 'MB') : undefined;
  const timeoutS =
    flags.timeout !== undefined ? rangeFlag('--timeout', flags.timeout, 1, 900, 's') : undefined;
  const r = await withDeployments((d) =>
    d.deploy(
      {
        file,
        name,
        ...(flags.export !== undefined ? { exportName: flags.export } : {}),
        ...(flags.role !== undefined ? { role: flags.role } : {}),
        ...(memoryMb !== undefined ? { memoryMb } : {}),
        ...(timeoutS !== undefined ? { timeoutS } : {}),
      },
      by(flags),
    ),
  );
  process.stdout.write(
    `${r.created ? 'created' : 'updated'} function ${name} (${r.strategy}, sha256 ${r.zipSha256.slice(0, 16)}…): ` +
      `version ${r.version}, alias live ${r.previousVersion === null ? 'created' : r.previousVersion === r.version ? 'unchanged' : `moved from ${r.previousVersion}`} -> ${r.version}\n` +
      `run it with: kairos paper ${file} --data <file> --lambda ${name}\n`,
  );
}

async function versionsCommand(name: string, flags: { json?: boolean }): Promise<void> {
  const fn = functionName('<function>', name);
  // A read: the endpoint alone answers it, no store is opened (a process start ~0.5 s less).
  const { functionVersions } = await import('../system/lambda-deployments.js');
  const versions = await functionVersions(cliConfig(), fn);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
    return;
  }
  if (versions.length === 0) {
    process.stdout.write(`function ${name} has no published version\n`);
    return;
  }
  writePlainTable([
    ['VERSION', 'LIVE', 'MEMORY', 'TIMEOUT', 'MODIFIED', 'DESCRIPTION'],
    ...versions.map((v) => [
      v.version,
      v.live ? 'live' : '',
      `${v.memoryMb} MB`,
      `${v.timeoutS} s`,
      v.lastModified,
      v.description,
    ]),
  ]);
}

async function rollbackCommand(name: string, flags: { to: string; actor?: string }): Promise<void> {
  const fn = functionName('<function>', name);
  const from = await withDeployments((d) => d.rollback(fn, flags.to, by(flags)));
  process.stdout.write(`alias live of ${fn}: ${from ?? 'none'} -> ${flags.to}\n`);
}

async function removeCommand(name: string, flags: { actor?: string }): Promise<void> {
  const fn = functionName('<function>', name);
  await withDeployments((d) => d.remove(fn, by(flags)));
  process.stdout.write(`removed function ${fn}, its versions and aliases\n`);
}

async function packageCommand(file: string, flags: PackageFlags): Promise<void> {
  const { packageStrategy } = await import('../system/strategy-package.js');
  const pkg = await packageStrategy(file, path.join(cliConfig().home, 'build'), flags.export);
  await mkdir(flags.out, { recursive: true });
  const base = path.join(flags.out, pkg.manifest.strategy);
  await writeAtomically(`${base}.zip`, pkg.zip);
  await writeAtomically(`${base}.manifest.json`, `${JSON.stringify(pkg.manifest, null, 2)}\n`);
  process.stdout.write(
    `packaged ${pkg.manifest.strategy} (${pkg.zip.byteLength} bytes, sha256 ${pkg.zipSha256})\n` +
      `  ${base}.zip\n  ${base}.manifest.json\n` +
      `  runtime ${pkg.manifest.runtime}, handler ${pkg.manifest.handler}, SDK ${pkg.manifest.sdkVersion}\n`,
  );
}
