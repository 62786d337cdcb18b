import type { StrategyDefinition } from './define-strategy.js';
import type { AnyIndicator } from './indicator-set.js';

/**
 * What of a strategy hears public trades: `onTrade`, and each indicator fed trade prices (by
 * name). Empty: it runs on bars alone (what a feed of bars only can run as in its backtest).
 *
 * @example
 * tradeInputs(tradeMomentum, { fast: 20, slow: 100, size: '10' }); // ['onTrade', 'fast', 'slow']
 */
export function tradeInputs(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any strategy's definition
  definition: StrategyDefinition<any, any, any>,
  params: Readonly<Record<string, unknown>>,
): string[] {
  const found = definition.onTrade ? ['onTrade'] : [];
  const indicators = (definition.indicators?.(params as never) ?? {}) as Record<
    string,
    AnyIndicator
  >;
  for (const [name, ind] of Object.entries(indicators)) if (ind.input === 'trade') found.push(name);
  return found;
}
