import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './run-cli.js';

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
