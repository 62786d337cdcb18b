import { makeInstrument } from '../../trading/model/instrument.js';
import type { IndicatorSet, StrategyDefinition } from '../../trading/strategy/define-strategy.js';
import { hasState } from '../../trading/strategy/indicator-set.js';
import { resolveParams, type ParamSpecs, type ParamValues } from '../../trading/strategy/params.js';
import type { SeamReply, SeamRequest, StrategyView } from '../../trading/strategy/seam-protocol.js';
import type { JsonObject } from '../../trading/strategy/strategy-context.js';
import { StrategySide } from '../../trading/strategy/strategy-side.js';
import type { StrategySnapshotJson } from '../../trading/strategy/strategy-seam.js';
import {
  LAMBDA_PROTOCOL,
  type LambdaStep,
  type LambdaStepResult,
  type WarmEntry,
  type WarmupNeed,
} from './lambda-protocol.js';

/** An indicator rebuilt from the warm-up is fed this many times its period. */
const WARMUP_PERIODS = 10;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDefinition = StrategyDefinition<ParamSpecs, JsonObject, any>;

const EMPTY_VIEW: StrategyView = {
  ts: 0,
  position: { quantity: '0', lots: [], realizedPnl: '0', fees: '0', openedAt: null },
  cash: {},
  orders: [],
};

/**
 * The warm-up a definition needs with these params: its bar history (default 500), and ten
 * times the longest period of the indicators it rebuilds from the warm-up: those that cannot
 * save a state, or all of them for a host that keeps no indicator state (`exact` false). Every
 * SDK indicator saves its state, so with a host that keeps it nothing more than the history.
 *
 * @example
 * warmupNeed(smaCross, { fast: 10, slow: 30, size: '100' }, true); // { bars: 500, trades: 1 }
 */
export function warmupNeed(
  definition: AnyDefinition,
  params: ParamValues<ParamSpecs>,
  exact: boolean,
): WarmupNeed {
  const indicators: IndicatorSet = definition.indicators ? definition.indicators(params) : {};
  let bars = definition.history ?? 500;
  let trades = 1;
  for (const ind of Object.values(indicators)) {
    if (exact && hasState(ind)) continue;
    const period = (ind as { period?: number }).period ?? 1;
    if (ind.input === 'trade') trades = Math.max(trades, period * WARMUP_PERIODS);
    else bars = Math.max(bars, period * WARMUP_PERIODS);
  }
  return { bars, trades };
}

function warmRequest(
  e: WarmEntry,
  instrumentId: string,
): Extract<SeamRequest, { kind: 'warm' | 'warmTrade' }> {
  return e[0] === 'b'
    ? {
        kind: 'warm',
        bar: {
          instrumentId,
          openTime: e[1],
          closeTime: e[2],
          open: e[3],
          high: e[4],
          low: e[5],
          close: e[6],
          volume: e[7],
        },
      }
    : {
        kind: 'warmTrade',
        tick: { instrumentId, ts: e[1], tradeId: '', price: e[2], size: 0, aggressor: 'NONE' },
      };
}

/**
 * Runs one step of a strategy with nothing kept from an earlier call: a new `StrategySide`
 * takes the snapshot back (or calls `init` on `start`), takes the indicators' state back and
 * feeds them the warm-up entries that state does not hold (the others only refill the bar
 * history), handles the step's request and answers with the commands it made, the new snapshot
 * and the indicators' new state: bit for bit what the same strategy in-process holds. The same step always gives the same answer, so a retried or duplicated invocation
 * changes nothing: the host executes the commands of one answer, under the client order ids
 * (strategy id, n) that the snapshot's count continues.
 *
 * @example
 * const result = runLambdaStep(definition, step); // { v: 1, seq, reply, state, keep }
 */
export function runLambdaStep(definition: AnyDefinition, step: LambdaStep): LambdaStepResult {
  let keep: WarmupNeed = { bars: 1, trades: 1 };
  const fail = (code: string, message: string): LambdaStepResult => ({
    v: LAMBDA_PROTOCOL,
    seq: step?.seq ?? -1,
    reply: {
      ok: false,
      error: {
        name: 'KairosError',
        code,
        message,
        strategy: null,
        phase: null,
        barIndex: null,
        ts: null,
      },
    },
    state: step?.state ?? null,
    keep,
  });
  if (step?.v !== LAMBDA_PROTOCOL || typeof step.request?.kind !== 'string')
    return fail('LAMBDA_PROTOCOL', `lambda step: not a version ${LAMBDA_PROTOCOL} step`);
  let side: StrategySide<ParamSpecs, JsonObject, IndicatorSet>;
  try {
    const params = resolveParams(definition.params, step.params);
    keep = warmupNeed(definition, params, step.indicators !== undefined);
    side = new StrategySide(definition, params, step.strategyId, makeInstrument(step.instrument));
  } catch (e) {
    return fail((e as { code?: string }).code ?? 'LAMBDA_PROTOCOL', (e as Error).message);
  }
  const call = (req: SeamRequest): Extract<SeamReply, { ok: true }> | SeamReply =>
    JSON.parse(side.handle(JSON.stringify(req))) as SeamReply;
  const { request } = step;
  if (request.kind !== 'start') {
    if (!step.state) return fail('LAMBDA_PROTOCOL', `lambda step: ${request.kind} without a state`);
    const resumed = call({
      kind: 'start',
      accountId: step.accountId,
      start: {
        state: step.state.state,
        ordersMade: step.state.ordersMade,
        random: step.state.random,
      },
      view: 'view' in request ? request.view : EMPTY_VIEW,
    });
    if (!resumed.ok)
      return { v: LAMBDA_PROTOCOL, seq: step.seq, reply: resumed, state: step.state, keep };
    let from = 0;
    if (step.indicators) {
      from = step.indicators.from;
      if (!Number.isInteger(from) || from < 0 || from > step.warmup.length)
        return fail('LAMBDA_PROTOCOL', 'lambda step: indicators.from is not a warm-up index');
      try {
        side.restoreIndicators(step.indicators.state);
      } catch (e) {
        return fail('LAMBDA_PROTOCOL', `lambda step: ${(e as Error).message}`);
      }
    }
    step.warmup.forEach((e, i) => {
      const warm = warmRequest(e, step.instrument.id);
      if (i < from) side.rewarm(warm);
      else call(warm);
    });
  }
  const reply = call(request);
  if (!reply.ok) return { v: LAMBDA_PROTOCOL, seq: step.seq, reply, state: step.state, keep };
  const after =
    reply.snapshot ??
    (call({ kind: 'snapshot' }) as { snapshot: StrategySnapshotJson | null }).snapshot;
  const indicators = side.saveIndicators();
  return { v: LAMBDA_PROTOCOL, seq: step.seq, reply, state: after, indicators, keep };
}

/**
 * The Lambda handler of a packaged strategy (`index.handler` in its zip): the event is a
 * `LambdaStep` (JSON), the answer a `LambdaStepResult`. A strategy that throws is an answer
 * (`reply.ok: false` with the error), not a function error.
 *
 * @example
 * export const handler = lambdaHandler(strategy);
 */
export function lambdaHandler(
  definition: AnyDefinition,
): (event: unknown) => Promise<LambdaStepResult> {
  return (event) => Promise.resolve(runLambdaStep(definition, event as LambdaStep));
}
