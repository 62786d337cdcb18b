import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();

/**
 * A fresh folder for a test file (`mkdtempSync` under `root`: the temp folder, or `STORE_ROOT`
 * for databases), removed with all it holds once the file's tests are done. Call it anywhere (in
 * a `describe` body, a hook or a test): the removal is one `afterAll` of the file's outermost
 * block, registered when this module loads, so it runs after every `describe` block and its own
 * `afterAll` hooks (which stop the servers and stores writing there). A hook declared at the top
 * level of the test file itself runs after it: close what writes in the folder inside a
 * `describe` block.
 *
 * @example
 * const home = tempDir('kairos-audit-cli-');
 */
export function tempDir(prefix: string, root: string = os.tmpdir()): string {
  const dir = mkdtempSync(path.join(root, prefix));
  made.add(dir);
  return dir;
}

// Jest loads this module afresh for each test file, at the top level of that file. (A bench that
// imports a test helper runs outside Jest: there is no afterAll, and its folders stay.)
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const dirs = [...made];
    made.clear();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
}
