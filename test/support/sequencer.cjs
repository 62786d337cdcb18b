// Runs the longest test files first, so two workers finish together instead of one waiting on a
// long file that started last. Durations come from Jest's cache when this checkout has run
// before, else from test/durations.json (a fresh clone, as in CI), else a middle guess.
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const root = path.resolve(__dirname, '../..');
let known = {};
try {
  known = require('../durations.json');
} catch {
  // No recorded durations: Jest's cache and the guess decide.
}
const GUESS_MS = 10_000;

class LongestFirst extends Sequencer {
  sort(tests) {
    const ms = (t) =>
      super.time(t) ?? known[path.relative(root, t.path).split(path.sep).join('/')] ?? GUESS_MS;
    const failed = (t) => (this.hasFailed(t) ? 1 : 0);
    return [...tests].sort((a, b) => failed(b) - failed(a) || ms(b) - ms(a));
  }
}
module.exports = LongestFirst;
