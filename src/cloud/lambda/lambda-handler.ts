import { makeInstrument } from '../../trading/model/instrument.js';
import type { IndicatorSet, StrategyDefinition } from '../../trading/strategy/define-strategy.js';
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

/** Bar-fed and trade-fed inputs are replayed this many times an indicator's period. */
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
 * The warm-up a definition needs with these params: its bar history (default 500) and ten times
 * the longest period of its bar-fed and trade-fed indicators (windowed ones, such as SMA, come
 * back exactly; recursive ones, such as EMA, to within far less than a float's precision).
 *
 * @example
 * warmupNeed(smaCross, { fast: 10, slow: 30, size: '100' }); // { bars: 500, trades: 1 }
 */
export function warmupNeed(definition: AnyDefinition, params: ParamValues<ParamSpecs>): WarmupNeed {
  const indicators: IndicatorSet = definition.indicators ? definition.indicators(params) : {};
  let bars = definition.history ?? 500;
  let trades = 1;
  for (const ind of Object.values(indicators)) {
    const period = (ind as { period?: number }).period ?? 1;
    if (ind.input === 'trade') trades = Math.max(trades, period * WARMUP_PERIODS);
    else bars = Math.max(bars, period * WARMUP_PERIODS);
  }
  return { bars, trades };
}

function warmRequest(e: WarmEntry, instrumentId: string): SeamRequest {
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
 * takes the snapshot back (or calls `init` on `start`), replays the warm-up into fresh
 * indicators, handles the step's request and answers with the commands it made and the new
 * snapshot. The same step always gives the same answer, so a retried or duplicated invocation
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
    keep = warmupNeed(definition, params);
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
    for (const e of step.warmup) call(warmRequest(e, step.instrument.id));
  }
  const reply = call(request);
  if (!reply.ok) return { v: LAMBDA_PROTOCOL, seq: step.seq, reply, state: step.state, keep };
  const after =
    reply.snapshot ??
    (call({ kind: 'snapshot' }) as { snapshot: StrategySnapshotJson | null }).snapshot;
  return { v: LAMBDA_PROTOCOL, seq: step.seq, reply, state: after, keep };
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
