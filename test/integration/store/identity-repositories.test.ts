import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { EnvelopeCipher } from '../../../src/security/encryption/envelope-cipher.js';
import { LocalKeyProvider } from '../../../src/security/encryption/local-key-provider.js';
import { MemorySessionStore } from '../../../src/security/tokens/memory-session-store.js';
import type {
  RefreshTokenRecord,
  SessionRecord,
  SessionStore,
} from '../../../src/security/tokens/session-ports.js';
import { MemoryMfaStore } from '../../../src/security/totp/memory-mfa-store.js';
import type { MfaStore } from '../../../src/security/totp/mfa-ports.js';
import {
  generateRecoveryCodes,
  recoveryCodeHash,
} from '../../../src/security/totp/recovery-codes.js';
import { CredentialRepository } from '../../../src/store/credential-repository.js';
import { MfaRepository } from '../../../src/store/mfa-repository.js';
import { SessionRepository } from '../../../src/store/session-repository.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

/** A syntactically valid argon2id PHC string (the repositories check the form, not the hash). */
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** One implementation of the identity ports, and a way to make a user the rows can point at. */
interface Impl {
  readonly sessions: SessionStore;
  readonly mfa: MfaStore;
  addUser(id: string): Promise<void>;
  close(): Promise<void>;
}

const IMPLS: [string, () => Promise<Impl>][] = [
  [
    'memory',
    async () => ({
      sessions: new MemorySessionStore(),
      mfa: new MemoryMfaStore(),
      addUser: async () => {},
      close: async () => {},
    }),
  ],
  ...DIALECTS.map((d): [string, () => Promise<Impl>] => [
    d,
    async () => {
      const store = await freshStore(d);
      const users = new UserRepository(store.db);
      return {
        sessions: new SessionRepository(store.db),
        mfa: new MfaRepository(store.db),
        addUser: async (id) => {
          await users.create({
            id,
            username: id,
            passwordHash: HASH,
            role: 'trader',
            createdAt: 1,
          });
        },
        close: () => store.drop(),
      };
    },
  ]),
];

function session(sessionId: string, userId: string, createdAt = 1_000): SessionRecord {
  return {
    sessionId,
    userId,
    createdAt,
    expiresAt: createdAt + 3_600_000,
    revokedAt: null,
    revokedReason: null,
  };
}

function token(name: string, sessionId: string, issuedAt: number): RefreshTokenRecord {
  return { tokenHash: sha(name), sessionId, issuedAt, rotatedAt: null };
}

/**
 * The behaviour every `SessionStore` and `MfaStore` must have: the in-memory references and the
 * repositories run these same checks, so they answer alike.
 */
function identityPortsContract(name: string, make: () => Promise<Impl>): void {
  describe(`identity ports on ${name}`, () => {
    let impl: Impl;
    beforeAll(async () => {
      impl = await make();
      for (const u of ['alice', 'bob', 'carol']) await impl.addUser(u);
    });
    afterAll(async () => {
      await impl.close();
    });

    describe('SessionStore', () => {
      it('creates a session with its first token and finds both', async () => {
        const s = impl.sessions;
        await s.createSession(session('s1', 'alice'), token('t1', 's1', 1_000));
        expect(await s.findSession('s1')).toEqual(session('s1', 'alice'));
        expect(await s.findRefreshToken(sha('t1'))).toEqual(token('t1', 's1', 1_000));
        expect(await s.findSession('missing')).toBeNull();
        expect(await s.findRefreshToken(sha('missing'))).toBeNull();
      });

      it('rotates a token once: the old one is spent, the next one is live', async () => {
        const s = impl.sessions;
        expect(await s.rotateRefreshToken(sha('t1'), token('t2', 's1', 2_000), 2_000)).toBe(true);
        expect(await s.findRefreshToken(sha('t1'))).toEqual({
          ...token('t1', 's1', 1_000),
          rotatedAt: 2_000,
        });
        expect(await s.findRefreshToken(sha('t2'))).toEqual(token('t2', 's1', 2_000));
        // Spent: a second exchange fails and stores nothing.
        expect(await s.rotateRefreshToken(sha('t1'), token('t3', 's1', 3_000), 3_000)).toBe(false);
        expect(await s.findRefreshToken(sha('t3'))).toBeNull();
        expect((await s.findRefreshToken(sha('t1')))?.rotatedAt).toBe(2_000);
        // Unknown: nothing to spend.
        expect(await s.rotateRefreshToken(sha('nope'), token('t4', 's1', 3_000), 3_000)).toBe(
          false,
        );
        expect(await s.findRefreshToken(sha('t4'))).toBeNull();
      });

      it('lets exactly one of several racing rotations of one token win', async () => {
        const s = impl.sessions;
        for (const racers of [2, 8]) {
          const sid = `race${racers}`;
          await s.createSession(session(sid, 'alice'), token(`${sid}-first`, sid, 1_000));
          const nexts = Array.from({ length: racers }, (_, i) => token(`${sid}-n${i}`, sid, 2_000));
          const won = await Promise.all(
            nexts.map((n) => s.rotateRefreshToken(sha(`${sid}-first`), n, 2_000)),
          );
          expect(won.filter(Boolean)).toHaveLength(1);
          const stored = await Promise.all(nexts.map((n) => s.findRefreshToken(n.tokenHash)));
          // Only the winner's next token exists.
          expect(stored.map((t) => t !== null)).toEqual(won);
        }
      });

      it('keeps the first revocation time and reason', async () => {
        const s = impl.sessions;
        await s.revokeSession('s1', 5_000, 'LOGOUT');
        await s.revokeSession('s1', 6_000, 'ADMIN');
        expect(await s.findSession('s1')).toEqual({
          ...session('s1', 'alice'),
          revokedAt: 5_000,
          revokedReason: 'LOGOUT',
        });
        await expect(s.revokeSession('missing', 6_000, 'ADMIN')).resolves.toBeUndefined();
        expect(await s.findSession('missing')).toBeNull();
      });

      it("revokes every unrevoked session of one user and no one else's", async () => {
        const s = impl.sessions;
        for (const sid of ['b1', 'b2', 'b3']) {
          await s.createSession(session(sid, 'bob'), token(`${sid}-t`, sid, 1_000));
        }
        await s.createSession(session('c1', 'carol'), token('c1-t', 'c1', 1_000));
        await s.revokeSession('b3', 4_000, 'LOGOUT');
        expect([...(await s.revokeUserSessions('bob', 7_000, 'USER_DISABLED'))].sort()).toEqual([
          'b1',
          'b2',
        ]);
        expect(await s.findSession('b1')).toMatchObject({
          revokedAt: 7_000,
          revokedReason: 'USER_DISABLED',
        });
        expect(await s.findSession('b3')).toMatchObject({
          revokedAt: 4_000,
          revokedReason: 'LOGOUT',
        });
        expect(await s.findSession('c1')).toMatchObject({ revokedAt: null, revokedReason: null });
        expect(await s.revokeUserSessions('bob', 8_000, 'ADMIN')).toEqual([]);
        expect(await s.revokeUserSessions('nobody', 8_000, 'ADMIN')).toEqual([]);
      });
    });

    describe('MfaStore', () => {
      it('stores a TOTP step only when it is greater than the stored one', async () => {
        const m = impl.mfa;
        expect(await m.lastUsedStep('alice')).toBeNull();
        expect(await m.setLastUsedStep('alice', 58_000_100)).toBe(true);
        expect(await m.setLastUsedStep('alice', 58_000_100)).toBe(false);
        expect(await m.setLastUsedStep('alice', 58_000_099)).toBe(false);
        expect(await m.lastUsedStep('alice')).toBe(58_000_100);
        expect(await m.setLastUsedStep('alice', 58_000_101)).toBe(true);
        expect(await m.lastUsedStep('alice')).toBe(58_000_101);
        expect(await m.lastUsedStep('bob')).toBeNull();
      });

      it('lets exactly one of racing writes of one step win, on the first step and later', async () => {
        const m = impl.mfa;
        for (const step of [500, 501]) {
          const won = await Promise.all([1, 2, 3, 4].map(() => m.setLastUsedStep('carol', step)));
          expect(won.filter(Boolean)).toHaveLength(1);
          expect(await m.lastUsedStep('carol')).toBe(step);
        }
        // Two different steps racing: whichever lands first, the greater one is stored.
        const [a, b] = await Promise.all([
          m.setLastUsedStep('carol', 510),
          m.setLastUsedStep('carol', 505),
        ]);
        expect(a).toBe(true);
        expect(typeof b).toBe('boolean');
        expect(await m.lastUsedStep('carol')).toBe(510);
      });

      it('never lets the stored step go down (any sequence of steps)', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 58_000_000, max: 58_000_040 }), {
              minLength: 1,
              maxLength: 10,
            }),
            async (steps) => {
              const u = `steps-${name}-${run++}`;
              await impl.addUser(u);
              let max: number | null = null;
              for (const step of steps) {
                const stored = await impl.mfa.setLastUsedStep(u, step);
                expect(stored).toBe(max === null || step > max);
                if (stored) max = step;
                expect(await impl.mfa.lastUsedStep(u)).toBe(max);
              }
            },
          ),
          { numRuns: 20 },
        );
      });

      it('keeps failure times per user and forgets them on clear', async () => {
        const m = impl.mfa;
        for (const at of [1_000, 2_000, 2_000, 3_000]) await m.recordFailure('bob', at);
        await m.recordFailure('carol', 2_500);
        expect(await m.failuresSince('bob', 1_000)).toEqual([2_000, 2_000, 3_000]);
        expect(await m.failuresSince('bob', 2_500)).toEqual([3_000]);
        expect(await m.failuresSince('nobody', 0)).toEqual([]);
        await m.clearFailures('bob');
        expect(await m.failuresSince('bob', 0)).toEqual([]);
        expect(await m.failuresSince('carol', 0)).toEqual([2_500]);
      });

      it('uses each recovery code once, and a new set voids the old one', async () => {
        const m = impl.mfa;
        const hashes = generateRecoveryCodes().map((c) => recoveryCodeHash(c) as string);
        await m.replaceRecoveryCodes('alice', hashes);
        expect(await m.remainingRecoveryCodes('alice')).toBe(10);
        expect(await m.consumeRecoveryCode('alice', hashes[0]!, 1_000)).toBe(true);
        expect(await m.consumeRecoveryCode('alice', hashes[0]!, 1_001)).toBe(false);
        expect(await m.consumeRecoveryCode('alice', sha('not a code'), 1_002)).toBe(false);
        expect(await m.consumeRecoveryCode('bob', hashes[1]!, 1_003)).toBe(false);
        expect(await m.remainingRecoveryCodes('alice')).toBe(9);
        expect(await m.remainingRecoveryCodes('bob')).toBe(0);
        const fresh = sha('fresh');
        await m.replaceRecoveryCodes('alice', [fresh, fresh]);
        expect(await m.remainingRecoveryCodes('alice')).toBe(1);
        expect(await m.consumeRecoveryCode('alice', hashes[1]!, 1_004)).toBe(false);
        expect(await m.consumeRecoveryCode('alice', fresh, 1_005)).toBe(true);
        await m.replaceRecoveryCodes('alice', []);
        expect(await m.remainingRecoveryCodes('alice')).toBe(0);
      });

      it('lets exactly one of racing uses of one recovery code win', async () => {
        const m = impl.mfa;
        const code = sha('racy');
        await m.replaceRecoveryCodes('carol', [code, sha('other')]);
        const won = await Promise.all(
          Array.from({ length: 8 }, (_, i) => m.consumeRecoveryCode('carol', code, 2_000 + i)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await m.remainingRecoveryCodes('carol')).toBe(1);
      });

      it('answers every call sequence exactly as MemoryMfaStore does', async () => {
        const codes = ['a', 'b', 'c', 'd'].map(sha);
        const command = fc.oneof(
          fc.record({ op: fc.constant('step' as const), n: fc.integer({ min: 0, max: 20 }) }),
          fc.record({ op: fc.constant('fail' as const), dt: fc.integer({ min: 0, max: 5 }) }),
          fc.record({ op: fc.constant('since' as const), n: fc.integer({ min: 0, max: 60 }) }),
          fc.record({ op: fc.constant('clear' as const) }),
          fc.record({ op: fc.constant('replace' as const), k: fc.subarray(codes) }),
          fc.record({ op: fc.constant('consume' as const), k: fc.constantFrom(...codes) }),
        );
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(command, { maxLength: 15 }), async (commands) => {
            const u = `diff-${name}-${run++}`;
            await impl.addUser(u);
            const ref = new MemoryMfaStore();
            let t = 0;
            for (const c of commands) {
              const apply = async (m: MfaStore): Promise<unknown> => {
                switch (c.op) {
                  case 'step':
                    return [await m.setLastUsedStep(u, c.n), await m.lastUsedStep(u)];
                  case 'fail':
                    return m.recordFailure(u, t + c.dt);
                  case 'since':
                    return m.failuresSince(u, c.n);
                  case 'clear':
                    return m.clearFailures(u);
                  case 'replace':
                    await m.replaceRecoveryCodes(u, c.k);
                    return m.remainingRecoveryCodes(u);
                  case 'consume':
                    return [
                      await m.consumeRecoveryCode(u, c.k, t),
                      await m.remainingRecoveryCodes(u),
                    ];
                }
              };
              expect(await apply(impl.mfa)).toEqual(await apply(ref));
              if (c.op === 'fail') t += c.dt;
            }
          }),
          { numRuns: 20 },
        );
      });
    });
  });
}

for (const [name, make] of IMPLS) identityPortsContract(name, make);

describe.each(DIALECTS)('users and venue credentials on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let users: UserRepository;
  let creds: CredentialRepository;
  const cipher = new EnvelopeCipher(LocalKeyProvider.fromKey(randomBytes(32)));
  /** Every row of a table as one JSON text, as an attacker with a dump would see it. */
  const dump = async (table: string) =>
    JSON.stringify((await sql.raw(`select * from ${table}`).execute(store.db)).rows);
  beforeAll(async () => {
    store = await freshStore(dialect);
    users = new UserRepository(store.db);
    creds = new CredentialRepository(store.db, cipher);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('creates users with unique, lower-cased usernames and validated fields', async () => {
    const alice = await users.create({
      username: ' Alice ',
      passwordHash: HASH,
      role: 'trader',
      createdAt: 10,
    });
    expect(alice).toMatchObject({
      username: 'alice',
      role: 'trader',
      passwordHash: HASH,
      createdAt: 10,
      disabledAt: null,
      totpEnrolled: false,
      totpConfirmedAt: null,
    });
    expect(await users.findByUsername('ALICE')).toEqual(alice);
    expect(await users.findById(alice.id)).toEqual(alice);
    expect(await users.findByUsername('nobody')).toBeNull();
    expect(await users.findByUsername('not a name!')).toBeNull();
    const again = { username: 'ALICE', passwordHash: HASH, role: 'risk', createdAt: 11 };
    await expect(users.create(again)).rejects.toMatchObject({
      code: 'USER_EXISTS',
      message: 'username "alice": already taken',
    });
    await expect(users.create({ ...again, username: 'other', id: alice.id })).rejects.toMatchObject(
      { code: 'USER_EXISTS', message: `id "${alice.id}": already taken` },
    );
    await expect(users.create({ ...again, username: 'a b' })).rejects.toMatchObject({
      code: 'USER_INVALID',
      message: expect.stringMatching(/^username: /),
    });
    await expect(users.create({ ...again, username: 'rob', role: 'god' })).rejects.toMatchObject({
      code: 'USER_INVALID',
      message: expect.stringMatching(/^role: must be one of admin, /),
    });
    await expect(
      users.create({ ...again, username: 'rob', passwordHash: 'hunter2hunter2' }),
    ).rejects.toMatchObject({ code: 'PASSWORD_HASH_INVALID' });
    // The table refuses what the repository would never write.
    await expect(
      sql`insert into users (id, username, password_hash, role, created_at)
          values ('x', 'Upper', ${HASH}, 'trader', 1)`.execute(store.db),
    ).rejects.toThrow(/check constraint/);
    await expect(
      sql`insert into users (id, username, password_hash, role, created_at)
          values ('x', 'plain', 'hunter2hunter2', 'trader', 1)`.execute(store.db),
    ).rejects.toThrow(/check constraint/);
  });

  it('lists users without hashes or secrets, changes passwords and disables', async () => {
    const bob = await users.create({
      username: 'bob',
      passwordHash: HASH,
      role: 'admin',
      createdAt: 20,
    });
    const listed = await users.list();
    expect(listed.map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(JSON.stringify(listed)).not.toContain('argon2');
    const next = HASH.replace('t=2', 't=3');
    await users.setPasswordHash(bob.id, next);
    expect((await users.findById(bob.id))?.passwordHash).toBe(next);
    await expect(users.setPasswordHash(bob.id, 'plaintext-password')).rejects.toMatchObject({
      code: 'PASSWORD_HASH_INVALID',
    });
    expect(await users.disable(bob.id, 30)).toBe(true);
    expect(await users.disable(bob.id, 31)).toBe(false);
    expect((await users.findById(bob.id))?.disabledAt).toBe(30);
    await expect(users.disable('missing', 1)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(users.setPasswordHash('missing', HASH)).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
  });

  it('stores the TOTP secret encrypted, bound to its user', async () => {
    const alice = (await users.findByUsername('alice'))!;
    const bob = (await users.findByUsername('bob'))!;
    const secret = 'CANARYTOTPSECRETJBSWY3DPEHPK3PXP';
    expect(await users.totpSecret(alice.id, cipher)).toBeNull();
    expect(await users.confirmTotp(alice.id, 40)).toBe(false); // nothing to confirm
    await users.setTotpSecret(alice.id, secret, cipher);
    expect(await dump('users')).not.toContain('CANARY');
    expect(await users.totpSecret(alice.id, cipher)).toBe(secret);
    expect(await users.findById(alice.id)).toMatchObject({
      totpEnrolled: true,
      totpConfirmedAt: null,
    });
    expect(await users.confirmTotp(alice.id, 41)).toBe(true);
    expect(await users.confirmTotp(alice.id, 42)).toBe(false);
    expect((await users.findById(alice.id))?.totpConfirmedAt).toBe(41);
    // A new secret (an MFA reset) starts enrolment over.
    await users.setTotpSecret(alice.id, `${secret}2`, cipher);
    expect((await users.findById(alice.id))?.totpConfirmedAt).toBeNull();
    // Alice's ciphertext copied into Bob's row does not decrypt there.
    await sql`update users set totp_secret_ciphertext =
      (select totp_secret_ciphertext from users where id = ${alice.id}) where id = ${bob.id}`.execute(
      store.db,
    );
    await expect(users.totpSecret(bob.id, cipher)).rejects.toMatchObject({
      code: 'ENCRYPTION_DECRYPT_FAILED',
    });
    await expect(users.totpSecret('missing', cipher)).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
  });

  it('keeps venue secrets write-only: no plaintext at rest, metadata in lists', async () => {
    const alice = (await users.findByUsername('alice'))!;
    const c = await creds.add({
      ownerUserId: alice.id,
      venue: 'binance',
      label: 'main',
      apiKey: 'CANARY-API-KEY-7d1f',
      secret: 'CANARY-SECRET-9a2e',
      passphrase: 'CANARY-PASS-5c3b',
      createdAt: 50,
    });
    expect(await dump('venue_credentials')).not.toContain('CANARY');
    const listed = await creds.list(alice.id);
    expect(listed).toEqual([
      {
        id: c.id,
        ownerUserId: alice.id,
        venue: 'binance',
        label: 'main',
        hasPassphrase: true,
        createdAt: 50,
      },
    ]);
    expect(await creds.find(c.id)).toEqual(listed[0]);
    expect(await creds.list('someone-else')).toEqual([]);
    expect(await creds.reveal(c.id)).toEqual({
      apiKey: 'CANARY-API-KEY-7d1f',
      secret: 'CANARY-SECRET-9a2e',
      passphrase: 'CANARY-PASS-5c3b',
    });
    await expect(
      creds.add({
        ownerUserId: alice.id,
        venue: 'binance',
        label: 'main',
        apiKey: 'k',
        secret: 's',
        createdAt: 51,
      }),
    ).rejects.toMatchObject({ code: 'CREDENTIAL_EXISTS' });
    await expect(
      creds.add({
        ownerUserId: 'missing',
        venue: 'binance',
        label: 'x',
        apiKey: 'k',
        secret: 's',
        createdAt: 51,
      }),
    ).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    const bad = creds.add({
      ownerUserId: alice.id,
      venue: 'Binance!',
      label: 'x',
      apiKey: 'CANARY-k',
      secret: 'CANARY-s',
      createdAt: 51,
    });
    await expect(bad).rejects.toMatchObject({
      code: 'CREDENTIAL_INVALID',
      message: expect.stringMatching(/^venue: /),
    });
    await expect(bad).rejects.not.toThrow(/CANARY/);
    await expect(
      creds.add({
        ownerUserId: alice.id,
        venue: 'okx',
        label: 'x',
        apiKey: 'k',
        secret: '',
        createdAt: 51,
      }),
    ).rejects.toMatchObject({
      code: 'CREDENTIAL_INVALID',
      message: expect.stringMatching(/^secret: /),
    });
    // The table refuses a plaintext secret.
    await expect(
      sql`update venue_credentials set secret_ciphertext = 'plain' where id = ${c.id}`.execute(
        store.db,
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('refuses a ciphertext moved to another row or column', async () => {
    const alice = (await users.findByUsername('alice'))!;
    const add = (label: string) =>
      creds.add({
        ownerUserId: alice.id,
        venue: 'kraken',
        label,
        apiKey: `key-${label}`,
        secret: `secret-${label}`,
        createdAt: 60,
      });
    const a = await add('a');
    const b = await add('b');
    const s = await add('swap');
    await sql`update venue_credentials set secret_ciphertext =
      (select secret_ciphertext from venue_credentials where id = ${a.id}) where id = ${b.id}`.execute(
      store.db,
    );
    await expect(creds.reveal(b.id)).rejects.toMatchObject({ code: 'ENCRYPTION_DECRYPT_FAILED' });
    await sql`update venue_credentials
      set api_key_ciphertext = secret_ciphertext, secret_ciphertext = api_key_ciphertext
      where id = ${s.id}`.execute(store.db);
    await expect(creds.reveal(s.id)).rejects.toMatchObject({ code: 'ENCRYPTION_DECRYPT_FAILED' });
    expect(await creds.reveal(a.id)).toEqual({ apiKey: 'key-a', secret: 'secret-a' });
    expect(await creds.remove(b.id)).toBe(true);
    expect(await creds.remove(b.id)).toBe(false);
    await expect(creds.reveal(b.id)).rejects.toMatchObject({ code: 'CREDENTIAL_NOT_FOUND' });
  });
});
