// Jest setup file for `npm run mutate`: in the dry run, records the names of this test file's
// tests (test-files.mjs). Stryker turns Jest's reporters off, so a setup file does it.
import { afterAll, beforeEach, expect } from '@jest/globals';
import { inDryRun, record } from './test-files.mjs';

if (inDryRun()) {
  const names = new Set();
  beforeEach(() => {
    names.add(expect.getState().currentTestName);
  });
  afterAll(() => {
    record(expect.getState().testPath, [...names]);
  });
}
