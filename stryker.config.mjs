// Mutation testing of the core's rules (not part of `npm test`, see docs/testing.md). The shared
// settings: `npm run mutate` (bin/mutate.mjs) runs Stryker once per folder of `mutate` below, each
// with its own checker tsconfig, test set, incremental file and reports; `npx stryker run` alone
// would run this file as it is, all folders in one run (hours on 2 cores).
// StrykerJS 9.6 is the last line that supports Node 20.
// Equivalent and unobservable mutants are excluded in the source, next to their line, with a
// reason: `// Stryker disable next-line <mutator>: <reason>` (grep -rn 'Stryker disable' src).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: { testMatch: ['**/test/unit/**/*.test.ts'], reporters: ['default'] },
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/trading/core/**/*.ts',
    'src/trading/model/**/*.ts',
    'src/trading/risk/**/*.ts',
    'src/trading/execution/**/*.ts',
    'src/trading/portfolio/**/*.ts',
    'src/security/audit/**/*.ts',
    'src/security/totp/**/*.ts',
    'src/security/tokens/**/*.ts',
    'src/security/encryption/**/*.ts',
    // The fill, fee, slippage and latency rules and the metrics; not the report's rendering.
    'src/trading/backtest/{simulated-exchange,metrics}.ts',
    'src/trading/data/readers/**/*.ts',
    // Write before send and fail closed (DESIGN 4, 7): the journal, the write-ahead client, the
    // queue they share; reconciliation (DESIGN 5). Not yet the core's recovery, the node's run
    // loop, the replayed bar or the desk: only test/integration/live holds them (a store and a
    // venue), which the unit-test runs here do not load.
    'src/trading/live/{reconciler,venue-order-reports,order-journal,write-ahead-client,grouped-lookup,serial-queue}.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 20000,
  thresholds: { high: 90, low: 80, break: null },
};
