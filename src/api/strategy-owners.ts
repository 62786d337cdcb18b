import { noopLogger, type Logger } from '../trading/core/logger.js';

/**
 * Who owns the orders of each strategy id, for the WebSocket push, at the cost of a map look-up
 * per event: `user:<id>` (a user's manual orders) is that user's; a strategy instance is its
 * starter's, remembered when it is started through the API, or looked up once (then kept) when
 * the first event of an instance it has not seen arrives (one resumed at start-up). Events of
 * one strategy id keep their order while a look-up is under way.
 *
 * @example
 * const owners = new StrategyOwners((id) => desk.ownerOf(id));
 * owners.remember('sma-cross-1a2b3c4d5e', '42');
 * owners.withOwner('sma-cross-1a2b3c4d5e', (userId) => userId === '42'); // at once
 */
export class StrategyOwners {
  readonly #known = new Map<string, string | null>();
  readonly #waiting = new Map<string, ((userId: string | null) => void)[]>();

  /**
   * @param lookUp the user id that started a strategy instance, null when none did.
   * @param log told when a look-up fails (the event then reaches no one; the next one asks again).
   */
  constructor(
    private readonly lookUp: (strategyId: string) => Promise<string | null>,
    private readonly log: Logger = noopLogger,
  ) {}

  /** Records that `userId` started the strategy instance `strategyId`. */
  remember(strategyId: string, userId: string): void {
    this.#known.set(strategyId, userId);
  }

  /**
   * Calls `then` with the user id owning `strategyId`'s orders (null: no user): at once when it
   * is known, otherwise after one look-up shared by every event that waits for it, in order.
   */
  withOwner(strategyId: string, then: (userId: string | null) => void): void {
    if (strategyId.startsWith('user:')) return then(strategyId.slice('user:'.length));
    // Behind a look-up under way even when `remember` has answered since: events keep their order.
    const waiting = this.#waiting.get(strategyId);
    if (waiting) return void waiting.push(then);
    const known = this.#known.get(strategyId);
    if (known !== undefined) return then(known);
    this.#waiting.set(strategyId, [then]);
    void this.lookUp(strategyId).then(
      (userId) => {
        if (!this.#known.has(strategyId)) this.#known.set(strategyId, userId);
        this.#release(strategyId, this.#known.get(strategyId) ?? null);
      },
      (e: unknown) => {
        this.log.warn('owner of strategy: look-up failed', { strategyId, err: e });
        this.#release(strategyId, null);
      },
    );
  }

  #release(strategyId: string, userId: string | null): void {
    const waiting = this.#waiting.get(strategyId) ?? [];
    this.#waiting.delete(strategyId);
    for (const then of waiting) then(userId);
  }
}
