import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { EnvelopeCipher } from '../../src/security/encryption/envelope-cipher.js';
import { LocalKeyProvider } from '../../src/security/encryption/local-key-provider.js';
import { PasswordHasher } from '../../src/security/passwords/password-hasher.js';
import { recoveryCodeHash } from '../../src/security/totp/recovery-codes.js';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { MfaRepository } from '../../src/store/mfa-repository.js';
import { UserRepository } from '../../src/store/user-repository.js';
import { ROOT, runCli, KAIROS_ARGV } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos user', () => {
  const home = path.join(tempDir('kairos-user-cli-'), 'home');
  const PASSWORD = 'violet-harbour-lantern-42';
  // The users on a Postgres schema: the commands, not the store's dialect, are the subject (PGlite
  // started in each process). The keys stay in the home.
  const db = processSchema('user_cli');
  const env = (password?: string) => ({
    KAIROS_HOME: home,
    ...db.env,
    KAIROS_ADMIN_PASSWORD: password ?? '',
  });
  let secret = '';
  let codes: string[] = [];

  it('creates the first admin and prints the otpauth URI, the secret and 10 recovery codes', async () => {
    const r = runCli(['user', 'create-admin', 'Root', '--actor', 'ops'], env(PASSWORD));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const uri = /^ {2}(otpauth:\/\/totp\/Kairos:root\?secret=([A-Z2-7]{32})&issuer=Kairos)$/m.exec(
      r.stdout,
    );
    expect(uri).not.toBeNull();
    secret = uri![2]!;
    expect(r.stdout).toContain(`  secret: ${secret}\n`);
    codes = [...r.stdout.matchAll(/^ {2}([0-9a-z]{4}(?:-[0-9a-z]{4}){3})$/gm)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect(r.stdout).not.toContain(PASSWORD);
    // The master key was made owner-only under $KAIROS_HOME/keys.
    const keyFile = path.join(home, 'keys', 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    // What was stored: an admin whose password verifies, the printed secret (encrypted with
    // that key), the printed codes (as hashes) and an audit row.
    const store = await db.open();
    try {
      const users = new UserRepository(store.db);
      const root = (await users.findByUsername('root'))!;
      expect(root).toMatchObject({ role: 'admin', disabledAt: null, totpConfirmedAt: null });
      expect(await new PasswordHasher().verify(root.passwordHash, PASSWORD)).toBe(true);
      const cipher = new EnvelopeCipher(await LocalKeyProvider.open(keyFile));
      expect(await users.totpSecret(root.id, cipher)).toBe(secret);
      const mfa = new MfaRepository(store.db);
      expect(await mfa.remainingRecoveryCodes(root.id)).toBe(10);
      expect(await mfa.consumeRecoveryCode(root.id, recoveryCodeHash(codes[0]!)!, 1)).toBe(true);
      const last = await new AuditRepository(store.db).last();
      expect(last).toMatchObject({ actor: 'ops', action: 'user.created', subject: root.id });
    } finally {
      await store.close();
    }
  }, 120_000);

  it('refuses a weak password with exit code 2 and a message naming the rule', () => {
    const short = runCli(['user', 'create-admin', 'weak'], env('tiny-pass'));
    expect(short.code).toBe(2);
    expect(short.stderr).toBe(
      'kairos: password: must be at least 12 characters (got 9) [PASSWORD_WEAK]\n',
    );
    const common = runCli(['user', 'create-admin', 'weak'], env('Qwerty123456'));
    expect(common.code).toBe(2);
    expect(common.stderr).toMatch(/password: is one of the most common passwords/);
    const same = runCli(['user', 'create-admin', 'longusername1'], env('LongUserName1'));
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/password: must not be the same as the username/);
    // Nothing was stored: 'lists the admins' below finds root and second only (one `user list`
    // process for both tests).
  }, 120_000);

  it('reads the password from stdin, and refuses a taken username', () => {
    const viaStdin = spawnSync(
      process.execPath,
      [...KAIROS_ARGV, 'user', 'create-admin', 'second'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...env() },
        input: 'another-long-passphrase-7\n',
        timeout: 120_000,
      },
    );
    expect(viaStdin.stderr).toBe('');
    expect(viaStdin.status).toBe(0);
    expect(viaStdin.stdout).toMatch(/otpauth:\/\/totp\/Kairos:second\?/);
    const none = runCli(['user', 'create-admin', 'third'], env());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/password: set KAIROS_ADMIN_PASSWORD or pipe the password/);
    const taken = runCli(['user', 'create-admin', 'ROOT'], env(PASSWORD));
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe('kairos: username "root": already taken [USER_EXISTS]\n');
  }, 120_000);

  it('lists the admins without a hash or a secret', () => {
    const r = runCli(['user', 'list'], env());
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+ROLE\s+STATUS\s+MFA\s+CREATED\s+ID$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ['root', 'admin', 'active', 'pending'],
      ['second', 'admin', 'active', 'pending'],
    ]);
    const json = runCli(['user', 'list', '--json'], env());
    expect(json.code).toBe(0);
    const users = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(users.map((u) => u.username)).toEqual(['root', 'second']);
    // None of the refused create-admin runs (weak passwords, no password, a taken name) stored one.
    expect(r.stdout).not.toMatch(/weak|longusername1|third/);
    for (const out of [r.stdout, json.stdout]) {
      expect(out).not.toMatch(/argon2|kx1\.|passwordHash/);
      expect(out).not.toContain(secret);
      for (const c of codes) expect(out).not.toContain(c);
    }
  }, 120_000);
});
