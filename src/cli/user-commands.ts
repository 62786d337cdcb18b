import { ROLES, isRole } from '../security/roles/permissions.js';
import type { Command } from 'commander';
import { checkPasswordPolicy } from '../security/passwords/password-policy.js';
import { normalizeUsername, UserRepository, type UserSummary } from '../store/user-repository.js';
import { openFieldCipher } from '../system/field-cipher.js';
import { UserAccounts } from '../system/user-accounts.js';
import { KairosError } from '../trading/core/errors.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { actorOf, actorOption, cliConfig } from './cli-config.js';
import { writePlainTable } from './plain-table.js';
import { promptHidden } from './prompt-hidden.js';

/** The environment variables `create-admin` and `create` read the password from (else stdin). */
const ADMIN_PASSWORD_ENV = 'KAIROS_ADMIN_PASSWORD';
const USER_PASSWORD_ENV = 'KAIROS_USER_PASSWORD';
type PasswordEnv = typeof ADMIN_PASSWORD_ENV | typeof USER_PASSWORD_ENV;

/** Registers `kairos user`: create the first admin, list users. */
export function registerUser(program: Command): void {
  const user = program.command('user').description('users: create, list');
  user
    .command('create-admin')
    .description(
      `create a user with role admin, a TOTP secret and recovery codes (password from ${ADMIN_PASSWORD_ENV} or stdin)`,
    )
    .argument('<username>')
    .option(...actorOption('who makes the change (audited)'))
    .action((username: string, flags: { actor?: string }) =>
      createUser(username, 'admin', actorOf(flags), ADMIN_PASSWORD_ENV),
    );
  user
    .command('create')
    .description(
      `create a user with a role (${ROLES.join(', ')}), a TOTP secret and recovery codes (password from ${USER_PASSWORD_ENV} or stdin)`,
    )
    .argument('<username>')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option(...actorOption('who makes the change (audited)'))
    .action((username: string, flags: { role: string; actor?: string }) =>
      createUser(username, flags.role, actorOf(flags), USER_PASSWORD_ENV),
    );
  user
    .command('list')
    .description('list users (no password hashes or secrets)')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => listUsers(flags.json === true));
}

async function createUser(
  username: string,
  role: string,
  actor: string,
  passwordEnv: PasswordEnv,
): Promise<void> {
  const name = normalizeUsername(username);
  if (!isRole(role)) throw new KairosError('USAGE', `--role: must be one of ${ROLES.join(', ')}`);
  const password = await readPassword(passwordEnv);
  // Checked again by `create`; here so a weak password opens no store and makes no key.
  checkPasswordPolicy(password, { username: name });
  const config = cliConfig();
  // The same master key the server decrypts TOTP secrets with.
  const cipher = await openFieldCipher(config);
  const store = await openConfiguredStore(config);
  try {
    const {
      user: created,
      otpauthUri,
      secret,
      recoveryCodes: codes,
    } = await new UserAccounts(store.db, cipher).create(
      { username: name, password, role },
      { actor, role: 'cli' },
    );
    process.stdout.write(
      `created ${created.role} "${created.username}" (id ${created.id})\n\n` +
        'Add the account to an authenticator app (show the URI as a QR code, or type the secret):\n' +
        `  ${otpauthUri}\n` +
        `  secret: ${secret}\n\n` +
        'Recovery codes (each works once; keep them offline):\n' +
        codes.map((c) => `  ${c}\n`).join('') +
        '\nThe secret and the codes are shown only now. The first code accepted at login confirms the enrolment.\n',
    );
  } finally {
    await store.close();
  }
}

async function listUsers(json: boolean): Promise<void> {
  const store = await openConfiguredStore(cliConfig());
  let users: UserSummary[];
  try {
    users = await new UserRepository(store.db).list();
  } finally {
    await store.close();
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
    return;
  }
  if (users.length === 0) {
    process.stdout.write('no users; create the first with: kairos user create-admin <username>\n');
    return;
  }
  const rows = [
    ['USERNAME', 'ROLE', 'STATUS', 'MFA', 'CREATED', 'ID'],
    ...users.map((u) => [
      u.username,
      u.role,
      u.disabledAt === null ? 'active' : 'disabled',
      u.totpConfirmedAt !== null ? 'confirmed' : u.totpEnrolled ? 'pending' : 'none',
      new Date(u.createdAt).toISOString(),
      u.id,
    ]),
  ];
  writePlainTable(rows);
}

/** The password: the environment variable, else a hidden prompt on a terminal, else stdin's first line. */
async function readPassword(passwordEnv: PasswordEnv): Promise<string> {
  const config = cliConfig();
  const fromEnv = passwordEnv === ADMIN_PASSWORD_ENV ? config.adminPassword : config.userPassword;
  if (fromEnv !== undefined) return fromEnv.reveal();
  if (process.stdin.isTTY) {
    const first = await promptHidden('Password: ');
    if ((await promptHidden('Repeat the password: ')) !== first) {
      throw new KairosError('USAGE', 'password: the two entries differ');
    }
    return first;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') {
    throw new KairosError('USAGE', `password: set ${passwordEnv} or pipe the password on stdin`);
  }
  return line;
}
