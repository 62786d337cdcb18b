// Which test file holds each test, for `npm run mutate` (bin/mutate.mjs). Stryker runs a mutant
// with a name pattern of the tests that cover it, and Jest would still load every test file of
// the run only to skip most of their tests: for a file imported everywhere, such as
// trading/core's errors, that is a hundred files per mutant. `record-tests.mjs` writes each test
// file's test names in the dry run (the run without an active mutant, which runs every test);
// the sequencer then keeps only the files that hold a test the pattern names.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
// Stryker's runners start in its sandbox folder, one per run.
const dir = () => path.join(process.cwd(), '.stryker-test-files');

export const inDryRun = () => process.env[ACTIVE_MUTANT] === undefined;

/** Writes one test file's test names (one small file per test file: no shared writes). */
export function record(testFilePath, names) {
  mkdirSync(dir(), { recursive: true });
  const id = createHash('sha1').update(testFilePath).digest('hex');
  writeFileSync(path.join(dir(), `${id}.json`), JSON.stringify({ testFilePath, names }));
}

/** The test files that hold a test matching `pattern`, or null when that is unknown. */
export function filesMatching(pattern) {
  if (!existsSync(dir())) return null;
  const regex = new RegExp(pattern, 'i'); // as Jest reads --testNamePattern
  const files = new Set();
  for (const entry of readdirSync(dir())) {
    const { testFilePath, names } = JSON.parse(readFileSync(path.join(dir(), entry), 'utf8'));
    if (names.some((name) => regex.test(name))) files.add(testFilePath);
  }
  return files.size === 0 ? null : files;
}
