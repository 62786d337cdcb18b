import type { TradingCore } from '../trading/live/trading-core.js';
import type { AccountRuntime } from './account-runtime.js';

/** Every account's bus as one; each handler also gets the account whose core published. */
export interface AccountsBus {
  subscribe<T>(pattern: string, handler: (event: T, accountId: string) => void): () => void;
}

/**
 * Every core's bus as one: a subscription reaches the cores opened later too (`join`). A handler
 * is also told the account whose core published the event (a trading-state change does not
 * carry it: each core's `GLOBAL` scope is its own account).
 *
 * @example
 * const bus = new JoinedAccountsBus(() => runtimes.values(), (id) => wiring.get(id)?.offs);
 * const offs = bus.join('acc-1', core); // at the core's opening; call them at its close
 */
export class JoinedAccountsBus implements AccountsBus {
  readonly #subscriptions = new Set<{
    readonly pattern: string;
    readonly handler: (event: never, accountId: string) => void;
    readonly off: (() => void)[];
  }>();

  constructor(
    /** The cores open now. */
    private readonly runtimes: () => Iterable<AccountRuntime>,
    /** Where an open core's unsubscriptions are kept (run when it closes). */
    private readonly offsOf: (accountId: string) => (() => void)[] | undefined,
  ) {}

  readonly subscribe = <T>(pattern: string, handler: (event: T, accountId: string) => void) => {
    const sub = {
      pattern,
      handler: handler as (event: never, accountId: string) => void,
      off: [] as (() => void)[],
    };
    for (const rt of this.runtimes()) {
      const off = rt.core.bus.subscribe<T>(pattern, (e) => handler(e, rt.accountId));
      sub.off.push(off);
      this.offsOf(rt.accountId)?.push(off);
    }
    this.#subscriptions.add(sub);
    return () => {
      this.#subscriptions.delete(sub);
      for (const off of sub.off) off();
    };
  };

  /** Subscribes a newly opened core to every subscription; answers their unsubscriptions. */
  join(accountId: string, core: TradingCore): (() => void)[] {
    const offs: (() => void)[] = [];
    for (const sub of this.#subscriptions) {
      const off = core.bus.subscribe<never>(sub.pattern, (e) => sub.handler(e, accountId));
      sub.off.push(off);
      offs.push(off);
    }
    return offs;
  }
}
