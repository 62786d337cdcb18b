// Writes Jest's own totals to .ci/jest-result.json so .ci/run never parses Jest's console output.
const fs = require('node:fs');
const path = require('node:path');
class CountReporter {
  onRunComplete(_contexts, results) {
    const out = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
    };
    fs.writeFileSync(path.join(__dirname, 'jest-result.json'), JSON.stringify(out));
  }
}
module.exports = CountReporter;
