/** Import rules from DESIGN.md: imports point inward; each I/O library has one home. */
const trading = '^src/trading/';
const tradingPure = '^src/trading/(?!venues/)';
const npmPackages = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'];
module.exports = {
  forbidden: [
    {
      name: 'trading-is-pure',
      comment: 'src/trading (outside venues/) imports nothing from the other src/ folders.',
      severity: 'error',
      from: { path: tradingPure },
      to: { path: '^src/(?!trading/)' },
    },
    {
      name: 'trading-no-io',
      comment: 'The domain does no I/O: no node built-ins with side effects and no I/O libraries.',
      severity: 'error',
      from: { path: tradingPure },
      to: {
        dependencyTypes: ['core', ...npmPackages],
        pathNot: ['^node_modules/(big\\.js|pure-rand)/'],
      },
    },
    {
      name: 'domain-not-to-venues',
      comment: 'Engines talk to venues through ports, never by import.',
      severity: 'error',
      from: { path: tradingPure },
      to: { path: '^src/trading/venues/' },
    },
    {
      name: 'trading-not-to-simulators',
      comment:
        'Simulators are tools around the domain: they may import src/trading, never the reverse.',
      severity: 'error',
      from: { path: '^src/(?!simulators/|cli/)' },
      to: { path: '^src/simulators/' },
    },
    {
      name: 'simulators-import-only-trading',
      comment: 'A simulator stands alone: the domain, Node built-ins and its own libraries (ws).',
      severity: 'error',
      from: { path: '^src/simulators/' },
      to: { path: '^src/(?!simulators/|trading/)' },
    },
    {
      name: 'only-store-imports-db',
      severity: 'error',
      from: { pathNot: '^src/store/' },
      to: { path: '^node_modules/(kysely|pg|@electric-sql)/' },
    },
    {
      name: 'only-cloud-imports-aws',
      comment: 'The AWS SDK (and its runtime, @smithy) has one home: src/cloud.',
      severity: 'error',
      from: { pathNot: '^src/cloud/' },
      to: { path: '^node_modules/(@aws-sdk|@smithy)/' },
    },
    {
      name: 'security-not-to-cloud',
      comment:
        'The audit export writes through its own port (security/audit/export-store.ts); src/system hands in the S3 or folder adapter.',
      severity: 'error',
      from: { path: '^src/security/' },
      to: { path: '^src/cloud/' },
    },
    {
      name: 'only-scalability-imports-caches',
      severity: 'error',
      from: { pathNot: '^src/scalability/' },
      to: { path: '^node_modules/(ioredis|memjs)/' },
    },
    {
      name: 'only-ccxt-venue-imports-ccxt',
      severity: 'error',
      from: { pathNot: '^src/trading/venues/ccxt/' },
      to: { path: '^node_modules/ccxt/' },
    },
    {
      name: 'nothing-imports-the-edges',
      comment: 'Only system/ and cli/ wire things together.',
      severity: 'error',
      from: { path: '^src/(trading|store|security|scalability|monitoring|cloud|simulators)/' },
      to: { path: '^src/(system|cli|api)/' },
    },
    {
      name: 'monitoring-imports-only-core',
      comment:
        'src/monitoring implements the Logger and Metrics ports of src/trading/core; it imports nothing else of src/.',
      severity: 'error',
      from: { path: '^src/monitoring/' },
      to: { path: '^src/(?!trading/core/|monitoring/)' },
    },
    {
      name: 'monitoring-few-libraries',
      comment:
        'src/monitoring uses node built-ins, winston (the logger) and prom-client (the metrics registry) only.',
      severity: 'error',
      from: { path: '^src/monitoring/' },
      to: {
        dependencyTypes: npmPackages,
        pathNot: '^node_modules/(winston|prom-client)/',
      },
    },
    {
      name: 'only-monitoring-imports-winston',
      comment: 'Everything else logs through the Logger port of src/trading/core.',
      severity: 'error',
      from: { pathNot: '^src/monitoring/' },
      to: { path: '^node_modules/winston/' },
    },
    {
      name: 'only-monitoring-imports-prom-client',
      comment: 'Everything else counts through the Metrics port of src/trading/core.',
      severity: 'error',
      from: { pathNot: '^src/monitoring/' },
      to: { path: '^node_modules/prom-client/' },
    },
    {
      name: 'trading-not-to-monitoring',
      comment: 'The domain logs and counts through the ports in trading/core, never by import.',
      severity: 'error',
      from: { path: trading },
      to: { path: '^src/monitoring/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: trading },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
