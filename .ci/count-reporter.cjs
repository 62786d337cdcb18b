// Writes Jest's own totals to .ci/jest-result.json so .ci/run never parses Jest's console output,
// and each file's duration to .ci/test-durations.json (copy a full run's to test/durations.json:
// test/support/sequencer.mjs starts the longest files first).
const fs = require('node:fs');
const path = require('node:path');
class CountReporter {
  onRunComplete(_contexts, results) {
    const out = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
    };
    fs.writeFileSync(path.join(__dirname, 'jest-result.json'), JSON.stringify(out));
    const root = path.resolve(__dirname, '..');
    const durations = Object.fromEntries(
      results.testResults
        .map((r) => [
          path.relative(root, r.testFilePath).split(path.sep).join('/'),
          r.perfStats.end - r.perfStats.start,
        ])
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    fs.writeFileSync(
      path.join(__dirname, 'test-durations.json'),
      `${JSON.stringify(durations, null, 2)}\n`,
    );
  }
}
module.exports = CountReporter;
