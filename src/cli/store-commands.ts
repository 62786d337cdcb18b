import type { Command } from 'commander';
import { maskedConfig } from '../system/config.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { cliConfig } from './cli-config.js';

/** Registers `kairos migrate` and `kairos config`. */
export function registerStoreCommands(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the database (PGlite under KAIROS_HOME, or DATABASE_URL)')
    .action(async () => {
      const config = cliConfig();
      const store = await openConfiguredStore(config);
      await store.close();
      process.stdout.write(`database is up to date (${maskedConfig(config).store})\n`);
    });
  program
    .command('config')
    .description('print the effective configuration, secrets masked')
    .action(() => {
      process.stdout.write(`${JSON.stringify(maskedConfig(cliConfig()), null, 2)}\n`);
    });
}
