import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../../src/store/open-store.js';
import { UserRepository } from '../../src/store/user-repository.js';
import { ROOT } from './run-cli.js';

/** A syntactically valid argon2id PHC string (the repositories check the form, not the hash). */
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';

/** A user rows can point at (owner of deployments and jobs); answers the id. */
export async function addUser(db: Store['db'], username: string, role: string): Promise<string> {
  const u = await new UserRepository(db).create({
    username,
    passwordHash: HASH,
    role,
    createdAt: 1,
  });
  return u.id;
}

/**
 * Copies a strategy file (a path from the repository root) into a server's catalog folder as
 * `<name>.ts`, its SDK import made `kairos/sdk` (a relative one would not resolve there).
 */
export function addToCatalog(dir: string, file: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const source = readFileSync(path.join(ROOT, file), 'utf8').replace(
    /from '(\.\.\/)+src\/trading\/strategy\/index\.js'/,
    "from 'kairos/sdk'",
  );
  const out = path.join(dir, `${name}.ts`);
  writeFileSync(out, source);
  return out;
}
