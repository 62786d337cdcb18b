import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vendorIsCurrent } from './bin/vendor-current.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));

/** Jest in native ESM mode; @swc/jest strips types (tsc type-checks separately in `npm test`). */
export default {
  // KAIROS_TEST_CPU_LOG=file: each test file's CPU seconds (worker and child processes) appended
  // to it, one JSON line a file (docs/testing.md, "Test suite time").
  testEnvironment: process.env.KAIROS_TEST_CPU_LOG
    ? '<rootDir>/test/support/cpu-environment.mjs'
    : 'node',
  // infra/cdk's tests run here too (its own node_modules resolve aws-cdk-lib), so CI counts them.
  roots: ['<rootDir>/test', '<rootDir>/infra/cdk/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  testTimeout: 60000,
  // Our imports of the packages `npm run build` bundles into dist/vendor/ load those bundles, as
  // dist/ and every `kairos` process do, while they are the installed versions (else, or with
  // KAIROS_TEST_VENDOR=0, node_modules): 0.5-1 s of CPU less per test file that loads the server
  // (test/support/vendor-resolver.mjs; docs/testing.md, "Test suite time").
  ...(process.env.KAIROS_TEST_VENDOR !== '0' && vendorIsCurrent(root)
    ? { resolver: '<rootDir>/test/support/vendor-resolver.mjs' }
    : {}),
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  testSequencer: '<rootDir>/test/support/sequencer.mjs',
  reporters: ['default', ['<rootDir>/.ci/count-reporter.cjs', {}]],
};
