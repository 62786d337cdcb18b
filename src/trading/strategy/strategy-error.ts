import { InvariantError } from '../core/errors.js';

/** Where in a strategy's life a handler threw. */
export type StrategyPhase = 'init' | 'onBar' | 'onTrade' | 'onOrderEvent' | 'onStop';

/**
 * A strategy's handler threw. The message is the strategy's own; `phase`, `barIndex` (0-based,
 * counting every bar fed, warm-up included) and `ts` say where. A `RangeError` thrown by `init`
 * is the strategy refusing its parameters (`PARAM_INVALID`); anything else is `STRATEGY_ERROR`.
 *
 * @example
 * init: (ctx) => { if (ctx.params.fast >= ctx.params.slow) throw new RangeError('param "fast": must be less than "slow"'); }
 */
export class StrategyError extends Error {
  readonly code: 'STRATEGY_ERROR' | 'PARAM_INVALID';

  constructor(
    readonly strategy: string,
    readonly phase: StrategyPhase,
    readonly barIndex: number | null,
    readonly ts: number | null,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StrategyError';
    this.code =
      phase === 'init' && cause instanceof RangeError ? 'PARAM_INVALID' : 'STRATEGY_ERROR';
  }

  /** A strategy's throw becomes a `StrategyError`; our own invariant errors stay what they are. */
  static wrap(
    e: unknown,
    strategy: string,
    phase: StrategyPhase,
    barIndex: number | null,
    ts: number | null,
  ): Error {
    if (e instanceof StrategyError || e instanceof InvariantError) return e;
    return new StrategyError(strategy, phase, barIndex, ts, e);
  }
}
