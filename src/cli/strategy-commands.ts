import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { cliConfig } from './cli-config.js';

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
