import type { Command } from 'commander';
import { CredentialRepository, type CredentialSecrets } from '../store/credential-repository.js';
import { UserRepository } from '../store/user-repository.js';
import { CredentialVault } from '../system/credential-vault.js';
import { openFieldCipher } from '../system/field-cipher.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { KairosError } from '../trading/core/errors.js';
import { actorOf, actorOption, cliConfig } from './cli-config.js';
import { writePlainTable } from './plain-table.js';
import { promptHidden } from './prompt-hidden.js';

interface AddFlags {
  user: string;
  venue: string;
  label: string;
  actor?: string;
}

/** Registers `kairos credential`: add, list and remove stored (encrypted) venue credentials. */
export function registerCredential(program: Command): void {
  const cmd = program
    .command('credential')
    .description('venue API credentials, stored encrypted: add, list, remove');
  cmd
    .command('add')
    .description(
      'store a venue API key and secret for a user, encrypted (read from EXCHANGE_API_KEY, ' +
        'EXCHANGE_SECRET [, EXCHANGE_PASSWORD], else stdin lines: key, secret [, passphrase]; never from flags)',
    )
    .requiredOption('--user <username>', 'the owner (a Kairos user)')
    .requiredOption('--venue <id>', 'ccxt exchange id, e.g. binance')
    .requiredOption('--label <label>', 'a name for it, unique per owner and venue, e.g. main')
    .option(...actorOption('who makes the change (audited)'))
    .action((flags: AddFlags) => addCredential(flags));
  cmd
    .command('list')
    .description('list stored credentials: metadata only, never a key or secret')
    .option('--user <username>', 'only this owner')
    .option('--json', 'print JSON')
    .action((flags: { user?: string; json?: boolean }) => listCredentials(flags));
  cmd
    .command('remove')
    .description('delete a stored credential (audited)')
    .argument('<id>', 'the credential id (kairos credential list)')
    .requiredOption('--user <username>', 'the owner')
    .option(...actorOption('who makes the change (audited)'))
    .action((id: string, flags: { user: string; actor?: string }) => removeCredential(id, flags));
}

async function addCredential(flags: AddFlags): Promise<void> {
  const { isExchangeId } = await import('../trading/venues/ccxt/exchange-factory.js');
  if (!(await isExchangeId(flags.venue))) {
    throw new KairosError(
      'USAGE',
      `--venue: must be a ccxt exchange id (e.g. binance, kraken, okx), was ${JSON.stringify(flags.venue)}`,
    );
  }
  const secrets = await readSecrets();
  const config = cliConfig();
  const cipher = await openFieldCipher(config);
  const store = await openConfiguredStore(config);
  try {
    const owner = await ownerId(store.db, flags.user);
    const c = await new CredentialVault(store.db, cipher).add(
      owner,
      { venue: flags.venue, label: flags.label, ...secrets },
      { actor: actorOf(flags), role: 'cli' },
    );
    process.stdout.write(
      `stored ${c.venue} credential "${c.label}" of ${flags.user} (id ${c.id}), encrypted\n` +
        `use it with: kairos live <strategy.ts> --exchange ${c.venue} --credential ${c.label} --user ${flags.user} ...\n`,
    );
  } finally {
    await store.close();
  }
}

async function listCredentials(flags: { user?: string; json?: boolean }): Promise<void> {
  const config = cliConfig();
  const store = await openConfiguredStore(config);
  let rows: {
    id: string;
    owner: string;
    venue: string;
    label: string;
    hasPassphrase: boolean;
    createdAt: number;
  }[];
  try {
    const users = new Map((await new UserRepository(store.db).list()).map((u) => [u.id, u]));
    const owner = flags.user === undefined ? undefined : await ownerId(store.db, flags.user);
    // Metadata only: nothing is decrypted.
    const repo = new CredentialRepository(store.db, await openFieldCipher(config));
    rows = (await repo.list(owner)).map((c) => ({
      id: c.id,
      owner: users.get(c.ownerUserId)?.username ?? c.ownerUserId,
      venue: c.venue,
      label: c.label,
      hasPassphrase: c.hasPassphrase,
      createdAt: c.createdAt,
    }));
  } finally {
    await store.close();
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(
      'no stored credentials; add one with: kairos credential add --user <u> --venue <id> --label <l>\n',
    );
    return;
  }
  const table = [
    ['OWNER', 'VENUE', 'LABEL', 'CREATED', 'ID'],
    ...rows.map((r) => [r.owner, r.venue, r.label, new Date(r.createdAt).toISOString(), r.id]),
  ];
  writePlainTable(table);
}

async function removeCredential(
  id: string,
  flags: { user: string; actor?: string },
): Promise<void> {
  const config = cliConfig();
  const store = await openConfiguredStore(config);
  try {
    const owner = await ownerId(store.db, flags.user);
    const vault = new CredentialVault(store.db, await openFieldCipher(config));
    if (!(await vault.remove(owner, id, { actor: actorOf(flags), role: 'cli' }))) {
      throw new KairosError(
        'CREDENTIAL_NOT_FOUND',
        `<id>: user "${flags.user}" has no credential ${id} (see kairos credential list)`,
      );
    }
    process.stdout.write(`removed credential ${id} of ${flags.user}\n`);
  } finally {
    await store.close();
  }
}

async function ownerId(
  db: Awaited<ReturnType<typeof openConfiguredStore>>['db'],
  username: string,
): Promise<string> {
  const u = await new UserRepository(db).findByUsername(username);
  if (!u) throw new KairosError('USER_NOT_FOUND', `--user: no user "${username}"`);
  return u.id;
}

/**
 * The key, secret and optional passphrase: from the EXCHANGE_* variables when EXCHANGE_API_KEY
 * is set, else hidden prompts on a terminal, else stdin's first lines. Never from argv, where
 * `ps` and shell history would show them.
 */
async function readSecrets(): Promise<CredentialSecrets> {
  const fromEnv = cliConfig().exchange;
  let [apiKey, secret, passphrase] = [
    fromEnv.apiKey?.reveal(),
    fromEnv.secret?.reveal(),
    fromEnv.password?.reveal(),
  ];
  if (apiKey === undefined) {
    if (process.stdin.isTTY) {
      apiKey = await promptHidden('API key: ');
      secret = await promptHidden('Secret: ');
      passphrase = (await promptHidden('Passphrase (Enter for none): ')) || undefined;
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
      [apiKey, secret, passphrase] = [lines[0], lines[1], lines[2] || undefined];
    }
  }
  if (!apiKey) {
    throw new KairosError(
      'USAGE',
      'apiKey: set EXCHANGE_API_KEY or pipe the key and the secret on stdin (one a line)',
    );
  }
  if (!secret) {
    throw new KairosError(
      'USAGE',
      'secret: set EXCHANGE_SECRET with EXCHANGE_API_KEY, or give it as the second line on stdin',
    );
  }
  return passphrase === undefined ? { apiKey, secret } : { apiKey, secret, passphrase };
}
