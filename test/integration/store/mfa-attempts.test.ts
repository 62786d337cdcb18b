import pg from 'pg';
import { MFA_ATTEMPT_POLICY } from '../../../src/security/totp/attempt-limiter.js';
import { MemoryMfaStore } from '../../../src/security/totp/memory-mfa-store.js';
import type { MfaStore } from '../../../src/security/totp/mfa-ports.js';
import { MfaVerifier } from '../../../src/security/totp/mfa-verifier.js';
import { Totp } from '../../../src/security/totp/totp.js';
import { MfaRepository } from '../../../src/store/mfa-repository.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { addUser } from '../../support/strategy-catalog.js';
import { pgliteTemplate } from '../../support/stores.js';

const T0 = 56_666_667 * 30_000;

/** Twenty wrong codes at once: how many were evaluated (not refused as locked)? */
async function race(verifiers: readonly MfaVerifier[], userId: string, secret: string, totp: Totp) {
  const right = await totp.codeAt(secret, T0);
  const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      verifiers[i % verifiers.length]!.verifyTotp(userId, secret, wrong),
    ),
  );
  const evaluated = results.filter((r) => !r.ok && r.reason !== 'MFA_LOCKED').length;
  // The account is locked now: even the right code is refused unevaluated.
  const after = await verifiers[0]!.verifyTotp(userId, secret, right);
  return { evaluated, after };
}

describe('second-factor attempts are reserved atomically (T18 under concurrency)', () => {
  const totp = new Totp(() => T0);
  const secret = totp.generateSecret();

  it('in memory: 20 concurrent wrong codes, at most 5 evaluated', async () => {
    const mfa = new MfaVerifier({ totp, store: new MemoryMfaStore(), now: () => T0 });
    const { evaluated, after } = await race([mfa], 'u1', secret, totp);
    expect(evaluated).toBeLessThanOrEqual(MFA_ATTEMPT_POLICY.maxFailures);
    expect(after).toMatchObject({ ok: false, reason: 'MFA_LOCKED' });
  });

  it('on PGlite: 20 concurrent wrong codes, at most 5 evaluated', async () => {
    const store = await openStore(pgliteTemplate());
    try {
      const userId = await addUser(store.db, 'pat', 'trader');
      const mfa = new MfaVerifier({ totp, store: new MfaRepository(store.db), now: () => T0 });
      const { evaluated, after } = await race([mfa], userId, secret, totp);
      expect(evaluated).toBeLessThanOrEqual(5);
      expect(after).toMatchObject({ ok: false, reason: 'MFA_LOCKED' });
    } finally {
      await store.close();
    }
  });

  it('on Postgres across two instances (two pools): 20 concurrent wrong codes, at most 5 evaluated', async () => {
    const schema = `kairos_mfa_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const a: Store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema });
    const b: Store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema });
    try {
      const userId = await addUser(a.db, 'pam', 'trader');
      const stores: MfaStore[] = [new MfaRepository(a.db), new MfaRepository(b.db)];
      const verifiers = stores.map((store) => new MfaVerifier({ totp, store, now: () => T0 }));
      const { evaluated, after } = await race(verifiers, userId, secret, totp);
      expect(evaluated).toBeLessThanOrEqual(5);
      expect(evaluated).toBeGreaterThan(0);
      expect(after).toMatchObject({ ok: false, reason: 'MFA_LOCKED' });
    } finally {
      await a.close();
      await b.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  });
});
