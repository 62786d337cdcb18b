import path from 'node:path';
import { strategyFailureLine, strategyFrame } from '../../../src/cli/strategy-failure.js';
import { StrategyError } from '../../../src/trading/strategy/strategy-error.js';

const ROOT = process.cwd();
const withStack = (frames: string[]) => {
  const e = new Error('boom after 3 bars');
  e.stack = ['Error: boom after 3 bars', ...frames.map((f) => `    at ${f}`)].join('\n');
  return e;
};

describe('strategy failure line', () => {
  it("names the strategy's own file:line, skipping Kairos and node_modules frames", () => {
    const cause = withStack([
      `helper (${ROOT}/node_modules/lib/x.js:3:9)`,
      `onBar (${ROOT}/my/strategies/boom.ts:10:50)`,
      `StrategyRunner.onBar (${ROOT}/src/trading/strategy/strategy-runner.ts:110:7)`,
    ]);
    expect(strategyFrame(cause)).toBe(path.join('my', 'strategies', 'boom.ts') + ':10');
    const line = strategyFailureLine(
      new StrategyError('boom', 'onBar', 99, Date.UTC(2017, 10, 14, 22, 0), cause),
    );
    expect(line).toBe(
      'strategy boom failed in onBar at bar 99 (2017-11-14T22:00:00Z): boom after 3 bars (my/strategies/boom.ts:10)',
    );
    expect(line).not.toMatch(/\n/);
  });

  it('reads a parameter refusal as a parameter error', () => {
    const cause = new RangeError('param "fast": must be less than "slow"');
    cause.stack = `RangeError: x\n    at init (file://${ROOT}/examples/strategies/sma-cross.ts:20:13)`;
    expect(strategyFailureLine(new StrategyError('sma-cross', 'init', null, null, cause))).toBe(
      'param "fast": must be less than "slow" (examples/strategies/sma-cross.ts:20)',
    );
  });

  it('does without a frame when the stack has none of the strategy', () => {
    const e = new StrategyError('s', 'onStop', 4, 0, 'a string was thrown');
    expect(strategyFailureLine(e)).toBe(
      'strategy s failed in onStop at bar 4 (1970-01-01T00:00:00Z): a string was thrown',
    );
  });
});
