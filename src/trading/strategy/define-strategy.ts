import { KairosError } from '../core/errors.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { OrderEvent } from '../model/order-events.js';
import type { AnyIndicator } from './indicator-set.js';
import type { ParamSpecs, ParamValues } from './params.js';
import type { JsonObject, StrategyContext } from './strategy-context.js';

/** The named indicators a strategy declares. */
export type IndicatorSet = Readonly<Record<string, AnyIndicator>>;

/**
 * A strategy: parameters, indicators, plain-JSON state and event handlers. Handlers run at the
 * time of the event with data up to then; fills of a bar are applied before `onBar` of that bar.
 */
export interface StrategyDefinition<
  P extends ParamSpecs = ParamSpecs,
  S extends JsonObject = JsonObject,
  I extends IndicatorSet = IndicatorSet,
> {
  readonly kind: 'kairos.strategy';
  readonly name: string;
  readonly description?: string;
  readonly params: P;
  /** Bars kept for `ctx.bars(n)` (default 500). */
  readonly history?: number;
  readonly indicators?: (params: ParamValues<P>) => I;
  readonly init?: (ctx: StrategyContext<P, S, I>) => S;
  readonly onBar?: (ctx: StrategyContext<P, S, I>, bar: Bar) => void;
  readonly onTrade?: (ctx: StrategyContext<P, S, I>, tick: TradeTick) => void;
  readonly onOrderEvent?: (ctx: StrategyContext<P, S, I>, event: OrderEvent) => void;
  readonly onStop?: (ctx: StrategyContext<P, S, I>) => void;
}

/** What `defineStrategy` takes: a definition without its `kind` tag. */
export type StrategySpec<P extends ParamSpecs, S extends JsonObject, I extends IndicatorSet> = Omit<
  StrategyDefinition<P, S, I>,
  'kind' | 'params'
> & { readonly params?: P };

/**
 * Declares a strategy. The same file runs in a backtest, paper, live and as a Lambda function.
 *
 * @example
 * export default defineStrategy({
 *   name: 'sma-cross',
 *   params: { fast: param.int(10, { min: 1 }), slow: param.int(30, { min: 2 }), size: param.decimal('100') },
 *   indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
 *   init: () => ({ lastDiff: 0 }),
 *   onBar(ctx) {
 *     const { fast, slow } = ctx.indicators;
 *     if (fast.value !== null && slow.value !== null && fast.value > slow.value && ctx.position().isFlat) {
 *       ctx.buy(ctx.params.size);
 *     }
 *   },
 * });
 */
export function defineStrategy<
  P extends ParamSpecs = Record<never, never>,
  S extends JsonObject = JsonObject,
  I extends IndicatorSet = Record<never, never>,
>(spec: StrategySpec<P, S, I>): StrategyDefinition<P, S, I> {
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(spec.name)) {
    throw new KairosError(
      'STRATEGY_INVALID',
      'strategy name: must be 1-64 letters, digits, ".", "_" or "-"',
    );
  }
  for (const h of ['indicators', 'init', 'onBar', 'onTrade', 'onOrderEvent', 'onStop'] as const) {
    if (spec[h] !== undefined && typeof spec[h] !== 'function') {
      throw new KairosError('STRATEGY_INVALID', `strategy ${spec.name}: ${h} must be a function`);
    }
  }
  if (spec.history !== undefined && (!Number.isInteger(spec.history) || spec.history < 1)) {
    throw new KairosError(
      'STRATEGY_INVALID',
      `strategy ${spec.name}: history must be a positive integer`,
    );
  }
  return Object.freeze({ ...spec, kind: 'kairos.strategy', params: (spec.params ?? {}) as P });
}

/**
 * True when `x` is a strategy made by `defineStrategy` (how loaders find the export).
 *
 * @example
 * if (!isStrategyDefinition(mod.default)) throw new Error('no strategy');
 */
export function isStrategyDefinition(x: unknown): x is StrategyDefinition {
  return (
    typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'kairos.strategy'
  );
}
