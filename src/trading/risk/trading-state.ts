/** Whether new orders may open risk: all, only reducing ones, or none. */
export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

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
    const order: TradingState[] = ['ACTIVE', 'REDUCING', 'HALTED'];
    const s = this.#strategies.get(strategyId) ?? 'ACTIVE';
    return order[Math.max(order.indexOf(this.#global), order.indexOf(s))]!;
  }

  /** The account's own state. */
  get global(): TradingState {
    return this.#global;
  }
}
