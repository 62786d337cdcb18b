import type { Command } from 'commander';
import { fieldKeysDir, openFieldKeys } from '../system/field-cipher.js';
import { checkBatchSize, FieldKeys } from '../system/key-rotation.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { KairosError } from '../trading/core/errors.js';
import { actorOf, actorOption, cliConfig } from './cli-config.js';
import { AFTER_REWRAP_BATCH, failpointFromEnv } from './failpoint.js';

/** Registers `kairos keys`: status, rotate and retire the field-encryption master keys. */
export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('field-encryption master keys: status, rotate, retire (docs/encryption.md)');
  const actor = actorOption();
  keys
    .command('status')
    .description(
      'each master key (local or kms; current, previous) and how many stored values it wraps',
    )
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) =>
      withKeys(async (k) => {
        const rows = await k.status();
        if (flags.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        for (const r of rows) {
          process.stdout.write(
            `${r.keyId}  ${r.provider.padEnd(5)}  ${r.status.padEnd(8)}  ${r.values} values\n`,
          );
        }
      }),
    );
  keys
    .command('rotate')
    .description(
      'make a new local master key, or move to the KMS key KMS_KEY_ID, and re-wrap every stored value under it (resumes an interrupted rotation)',
    )
    .option('--batch-size <n>', 'values per transaction', '500')
    .option('--retire', 'then delete the previous master keys (no value needs them any more)')
    .option(...actor)
    .action((flags: { batchSize: string; retire?: boolean; actor?: string }) => {
      const batchSize = checkBatchSize(Number(flags.batchSize));
      return withKeys(async (k) => {
        const by = { actor: actorOf(flags), role: 'cli' };
        const failpoint = failpointFromEnv(cliConfig().failpoint, [AFTER_REWRAP_BATCH]);
        const r = await k.rotate({
          by,
          batchSize,
          onBatch: (n) => {
            process.stderr.write(`re-wrapped ${n} values\n`);
            failpoint?.(AFTER_REWRAP_BATCH);
          },
        });
        process.stdout.write(
          r.fromKeyIds.length === 0
            ? `every value is on ${r.toKeyId} already (KMS rotates its own key material; set KMS_KEY_ID to another key to move)\n`
            : `${r.resumed ? 'resumed: ' : ''}${r.rewrapped} values re-wrapped from ${r.fromKeyIds.join(', ')} to ${r.toKeyId}\n`,
        );
        if (r.remaining > 0) {
          throw new KairosError(
            'KEY_ROTATION_INCOMPLETE',
            `${r.remaining} values changed while rotating and are still on an older key; run kairos keys rotate again`,
          );
        }
        if (flags.retire) await retire(k, by);
      });
    });
  keys
    .command('retire')
    .description('delete the previous master keys once no stored value needs them')
    .option(...actor)
    .action((flags: { actor?: string }) =>
      withKeys((k) => retire(k, { actor: actorOf(flags), role: 'cli' })),
    );
}

async function retire(k: FieldKeys, by: { actor: string; role: string }): Promise<void> {
  const retired = await k.retire(by);
  process.stdout.write(
    retired.length === 0
      ? 'no previous master key to retire\n'
      : retired.map((id) => `retired ${id}\n`).join(''),
  );
}

async function withKeys(run: (keys: FieldKeys) => Promise<void>): Promise<void> {
  const config = cliConfig();
  // A KMS key that is not there, disabled or unreachable is refused before the store opens.
  if (config.kms.keyId !== undefined)
    (await openFieldKeys(fieldKeysDir(config), config.kms)).close();
  const store = await openConfiguredStore(config);
  try {
    await run(new FieldKeys(store.db, fieldKeysDir(config), config.kms));
  } finally {
    await store.close();
  }
}
