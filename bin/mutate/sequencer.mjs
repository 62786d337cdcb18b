// Jest sequencer for `npm run mutate`: in a mutant's run, only the test files that hold a test
// the name pattern names (test-files.mjs), in the project's order (longest first).
import LongestFirst from '../../test/support/sequencer.mjs';
import { filesMatching, inDryRun } from './test-files.mjs';

export default class CoveringFilesOnly extends LongestFirst {
  constructor(options) {
    super(options);
    this.pattern = options?.globalConfig?.testNamePattern;
  }

  sort(tests) {
    const files = !inDryRun() && this.pattern ? filesMatching(this.pattern) : null;
    const covering = files ? tests.filter((t) => files.has(t.path)) : [];
    return super.sort(covering.length > 0 ? covering : tests);
  }
}
