import type { RiskRepository, StoredStates } from '../store/risk-repository.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { LimitSet } from '../trading/risk/risk-limits.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import type { ChangeActor } from './user-accounts.js';

/** The audit action of each trading state a person sets. */
const STATE_ACTION: Readonly<Record<TradingState, string>> = {
  HALTED: 'risk.halted',
  REDUCING: 'risk.reduced',
  ACTIVE: 'risk.resumed',
};

/**
 * Risk limits and trading states of a running server: each change is stored first (with its
 * audit row, in one transaction) and then applied to the running core at once, so the kill
 * switch cancels open orders before the call returns. Reads and applies of the stored settings
 * run one at a time, so a periodic refresh never applies settings older than a change it raced.
 *
 * @example
 * const risk = new RiskControl(repo, core);
 * await risk.setState({}, 'HALTED', 'runaway', { actor: 'user:7', role: 'risk' });
 */
export class RiskControl {
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: RiskRepository,
    private readonly core: TradingCore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stored limits and states. */
  async view(): Promise<{ limits: LimitSet; states: StoredStates }> {
    return this.repo.settings();
  }

  /** Reads the stored settings and applies them to the core (a newly HALTED scope is canceled). */
  sync(actor = 'store'): Promise<void> {
    const run = this.#tail.then(async () => {
      this.core.applyRisk(await this.view(), actor);
      await this.core.settle();
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stores one limit (`RISK_LIMIT_INVALID` naming the rule) and applies it. */
  async setLimit(
    scope: { strategyId?: string; instrumentId?: string },
    name: string,
    value: string,
    by: ChangeActor,
  ): Promise<void> {
    await this.repo.setLimit(scope, name, value, by.actor, this.now(), {
      role: by.role,
      action: 'risk.limit_changed',
    });
    await this.sync(by.actor);
  }

  /** Stores a trading state (`risk.halted`, `risk.reduced`, `risk.resumed`) and applies it. */
  async setState(
    scope: { strategyId?: string },
    state: TradingState,
    reason: string | null,
    by: ChangeActor,
  ): Promise<void> {
    await this.repo.setState(scope, state, reason, by.actor, this.now(), {
      role: by.role,
      action: STATE_ACTION[state],
    });
    await this.sync(by.actor);
  }
}
