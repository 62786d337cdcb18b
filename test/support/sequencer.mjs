// Runs the longest test files first, so two workers finish together instead of one waiting on a
// long file that started last. Durations come from Jest's cache when this checkout has run
// before, else from test/durations.json (a fresh clone, as in CI), else a middle guess.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sequencer from '@jest/test-sequencer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let known = {};
try {
  known = JSON.parse(readFileSync(path.join(root, 'test/durations.json'), 'utf8'));
} catch {
  // No recorded durations: Jest's cache and the guess decide.
}
const GUESS_MS = 10_000;
const Base = Sequencer.default ?? Sequencer;

export default class LongestFirst extends Base {
  sort(tests) {
    const ms = (t) =>
      this.time(t) ?? known[path.relative(root, t.path).split(path.sep).join('/')] ?? GUESS_MS;
    const failed = (t) => (this.hasFailed(t) ? 1 : 0);
    return [...tests].sort((a, b) => failed(b) - failed(a) || ms(b) - ms(a));
  }
}
