/** Whether new orders may open risk: all, only reducing ones, or none. */
export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

const SEVERITY: readonly TradingState[] = ['ACTIVE', 'REDUCING', 'HALTED'];

/**
 * The stricter of two trading states.
 *
 * @example
 * stricter('ACTIVE', 'HALTED'); // 'HALTED'
 */
export function stricter(a: TradingState, b: TradingState): TradingState {
  return SEVERITY[Math.max(SEVERITY.indexOf(a), SEVERITY.indexOf(b))]!;
}

/** Trading states of the account and of each strategy; the stricter one wins. */
export class TradingStates {
  #global: TradingState = 'ACTIVE';
  readonly #strategies = new Map<string, TradingState>();

  /** Sets the state of the whole account (`strategyId` absent) or of one strategy. */
  set(state: TradingState, strategyId?: string): void {
    if (strategyId === undefined) this.#global = state;
    else this.#strategies.set(strategyId, state);
  }

  /** The state that applies to a strategy. */
  effective(strategyId: string): TradingState {
    return stricter(this.#global, this.#strategies.get(strategyId) ?? 'ACTIVE');
  }

  /** The account's own state. */
  get global(): TradingState {
    return this.#global;
  }
}
