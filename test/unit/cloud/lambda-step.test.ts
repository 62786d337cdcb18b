import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lambdaClient } from '../../../src/cloud/lambda/lambda-client.js';
import { lambdaError } from '../../../src/cloud/lambda/lambda-errors.js';
import { runLambdaStep } from '../../../src/cloud/lambda/lambda-handler.js';
import { trimWarmup, type WarmEntry } from '../../../src/cloud/lambda/lambda-protocol.js';
import { LambdaStepper } from '../../../src/cloud/lambda/lambda-stepper.js';
import { lambdaTarget } from '../../../src/system/lambda-target.js';
import { defineStrategy, ema, param, sma } from '../../../src/trading/strategy/index.js';
import { instrument } from '../../support/builders.js';
import { tempDir } from '../../support/temp-dir.js';

const b = (t: number): WarmEntry => ['b', t, t + 1, 1, 1, 1, 1, 1];
const t = (ts: number): WarmEntry => ['t', ts, 1];
const view = {
  ts: 60_000,
  position: { quantity: '0', lots: [], realizedPnl: '0', fees: '0', openedAt: null },
  cash: {},
  orders: [],
};

describe('the Lambda step', () => {
  it('keeps the newest bars and trades the handler asks for, in order', () => {
    const w = [b(1), t(2), b(3), t(4), t(5), b(6)];
    expect(trimWarmup(w, { bars: 2, trades: 1 })).toEqual([b(3), t(5), b(6)]);
    expect(trimWarmup(w, { bars: 9, trades: 9 })).toEqual(w);
    expect(trimWarmup(w, { bars: 0, trades: 0 })).toEqual([]);
  });

  it('the handler asks for its history and ten indicator periods, and refuses a step that is not one', () => {
    const def = defineStrategy({
      name: 's',
      history: 20,
      params: { n: param.int(7) },
      indicators: (p) => ({ a: sma(p.n), b: sma(3, 'trade') }),
    });
    const inst = { id: 'X', base: 'X', quote: 'Y', tickSize: '0.01', lotSize: '1' };
    const start = {
      kind: 'start' as const,
      accountId: 'paper',
      start: { state: null, ordersMade: 0, random: 1 },
      view,
    };
    const step = {
      v: 1 as const,
      seq: 1,
      strategyId: 's',
      accountId: 'paper',
      instrument: inst,
      params: { n: 7 },
      state: null,
      warmup: [],
      request: start,
    };
    // A host that keeps no indicator state (no `indicators` in the step): ten periods.
    expect(runLambdaStep(def as never, step).keep).toEqual({ bars: 70, trades: 30 });
    // One that does: the history, and ten periods only of an indicator that cannot save a state.
    expect(runLambdaStep(def as never, { ...step, indicators: null }).keep).toEqual({
      bars: 20,
      trades: 1,
    });
    const own = { input: 'close', period: 9, updateBar: () => {}, updateValue: () => {} };
    const custom = defineStrategy({ name: 'c', history: 20, indicators: () => ({ own }) });
    expect(runLambdaStep(custom as never, { ...step, params: {}, indicators: null }).keep).toEqual({
      bars: 90,
      trades: 1,
    });
    const bar = { kind: 'bar', bar: {}, view } as never;
    const state = { state: {}, ordersMade: 0, random: [1, 2, 3, 4] };
    const resumed = { ...step, state, request: bar };
    expect(
      runLambdaStep(def as never, {
        ...resumed,
        indicators: { state: { bars: 0, values: {} }, from: 0 },
      }).reply,
    ).toMatchObject({
      ok: false,
      error: { code: 'LAMBDA_PROTOCOL', message: 'lambda step: indicator state: a is missing' },
    });
    expect(
      runLambdaStep(def as never, {
        ...resumed,
        indicators: { state: { bars: 0, values: {} }, from: 1 },
      }).reply,
    ).toMatchObject({
      ok: false,
      error: { message: 'lambda step: indicators.from is not a warm-up index' },
    });
    expect(runLambdaStep(def as never, { ...step, v: 2 } as never).reply).toMatchObject({
      ok: false,
      error: { code: 'LAMBDA_PROTOCOL' },
    });
    expect(
      runLambdaStep(def as never, { ...step, request: { kind: 'bar', bar: {}, view } } as never)
        .reply,
    ).toMatchObject({
      ok: false,
      error: { code: 'LAMBDA_PROTOCOL', message: 'lambda step: bar without a state' },
    });
    expect(runLambdaStep(def as never, { ...step, params: { n: 'x' } }).reply).toMatchObject({
      ok: false,
      error: { code: 'PARAM_INVALID' },
    });
  });

  it.each([
    ['not JSON', () => 'nope', /the answer is not JSON/],
    ['another step', (s: number) => JSON.stringify({ v: 1, seq: s + 1 }), /the answer is for step/],
    [
      'an unknown command',
      (s: number) => answer(s, [{ kind: 'transfer', clientOrderId: 'x-1', ts: 0 }], 0),
      /unknown command "transfer"/,
    ],
    [
      'a skipped client order id',
      (s: number) =>
        answer(s, [{ kind: 'submit', clientOrderId: 'S-2', ts: 0, request: { quantity: '1' } }], 2),
      /must use the next client order id S-1/,
    ],
    ['a wrong count', (s: number) => answer(s, [], 3), /ordersMade 3, the commands make 0/],
    [
      'a broken indicators state',
      (s: number) => JSON.stringify({ ...JSON.parse(answer(s, [], 0)), indicators: { bars: 'x' } }),
      /the indicators' state is not one/,
    ],
  ])(
    'the stepper refuses an answer whole: %s (LAMBDA_BAD_REPLY)',
    async (_what, reply, message) => {
      let seq = 0;
      const stepper = new LambdaStepper({
        strategyId: 'S',
        instrument: instrument(),
        params: {},
        invoke: async (p) => reply((seq = (JSON.parse(p) as { seq: number }).seq)),
      });
      const req = JSON.stringify({
        kind: 'start',
        start: { state: null, ordersMade: 0, random: 1 },
        view,
      });
      await expect(stepper.transport(req)).rejects.toMatchObject({
        code: 'LAMBDA_BAD_REPLY',
        message: expect.stringMatching(message),
      });
      expect(seq).toBe(1);
      expect(stepper.state).toBeNull();
    },
  );

  /** Steps `def` through a stepper over bars of `CLOSES`, the step of bar 5 failing. */
  async function failingBar5(def: ReturnType<typeof defineStrategy>) {
    const steps: { warmup: WarmEntry[]; indicators: { from: number } | null }[] = [];
    const payloads: string[] = [];
    const stepper = new LambdaStepper({
      strategyId: def.name,
      instrument: instrument(),
      params: {},
      invoke: async (p) => {
        payloads.push(p);
        const step = JSON.parse(p) as Parameters<typeof runLambdaStep>[1];
        steps.push(step as never);
        if (step.request.kind === 'bar' && step.request.bar.closeTime === 5)
          throw new Error('timed out');
        return JSON.stringify(runLambdaStep(def as never, step));
      },
    });
    await stepper.transport(
      JSON.stringify({ kind: 'start', start: { state: null, ordersMade: 0, random: 1 }, view }),
    );
    for (const [i, close] of CLOSES.entries()) {
      const bar = { instrumentId: 'X', openTime: i, closeTime: i + 1, open: 1, high: 99, low: 1 };
      await stepper
        .transport(JSON.stringify({ kind: 'bar', bar: { ...bar, close, volume: 1 }, view }))
        .catch(() => undefined);
    }
    return { steps, payloads, state: stepper.state!.state };
  }
  const CLOSES = [10, 11.5, 9.25, 12, 13.5, 8.75, 10.125];

  it("sends the history and every bar since the indicators' state: a failed step's bar is fed later", async () => {
    const def = defineStrategy({
      name: 'e',
      history: 2,
      indicators: () => ({ e: ema(3) }),
      init: (): { e: number | null } => ({ e: null }),
      onBar: (ctx) => void (ctx.state.e = ctx.indicators.e.value),
    });
    const { steps, payloads, state } = await failingBar5(def as never);
    // Each payload is exactly JSON.stringify of its step, fields in order (the warm-up entries'
    // texts are made once and reused).
    const fields = ['v', 'seq', 'strategyId', 'accountId', 'instrument', 'params', 'state'];
    for (const p of payloads) {
      const step = JSON.parse(p) as Record<string, unknown>;
      const inOrder = [...fields, 'warmup', 'indicators', 'request'].map((k) => [k, step[k]]);
      expect(p).toBe(JSON.stringify(Object.fromEntries(inOrder)));
    }
    // The step after the failed one (bar 5) holds the history (bars 3, 4) and bar 5 from index 2.
    expect(steps[6]!.warmup.map((e) => e[2])).toEqual([3, 4, 5]);
    expect(steps[6]!.indicators!.from).toBe(2);
    expect(steps[5]!.warmup.map((e) => e[2])).toEqual([3, 4]);
    expect(steps[5]!.indicators!.from).toBe(2);
    const reference = ema(3);
    CLOSES.forEach((c) => reference.updateValue(c));
    expect(Object.is(state.e, reference.value)).toBe(true);
  });

  it('an indicator without saveState is fed the whole warm-up of ten periods each step', async () => {
    const def = defineStrategy({
      name: 'own',
      history: 2,
      indicators: () => ({ own: counter() }),
      init: (): { own: number } => ({ own: 0 }),
      onBar: (ctx) => void (ctx.state.own = ctx.indicators.own.n),
    });
    const { steps, state } = await failingBar5(def as never);
    expect(steps[6]!.warmup.map((e) => e[2])).toEqual([1, 2, 3, 4, 5]);
    expect(state.own).toBe(CLOSES.length);
  });

  it('caps invocations per minute of the host clock', async () => {
    const stepper = new LambdaStepper({
      strategyId: 'S',
      instrument: instrument(),
      params: {},
      maxPerMinute: 2,
      invoke: async (p) => answer((JSON.parse(p) as { seq: number }).seq, [], 0),
    });
    const req = (ts: number) =>
      JSON.stringify({
        kind: 'start',
        start: { state: null, ordersMade: 0, random: 1 },
        view: { ...view, ts },
      });
    await stepper.transport(req(0));
    await stepper.transport(req(30_000));
    await expect(stepper.transport(req(59_999))).rejects.toMatchObject({
      code: 'LAMBDA_RATE_CAPPED',
    });
    await stepper.transport(req(60_000));
    expect(stepper.steps).toBe(3);
  });

  it('names Lambda targets and maps SDK errors to stable codes', () => {
    expect(lambdaTarget('sma')).toEqual({ name: 'sma', qualifier: 'live' });
    expect(lambdaTarget('sma:3')).toEqual({ name: 'sma', qualifier: '3' });
    expect(() => lambdaTarget('a b')).toThrow(/--lambda: must be a function name/);
    const e = (name: string, status?: number) =>
      Object.assign(new Error('m'), { name, $metadata: { httpStatusCode: status } });
    expect(lambdaError(e('ResourceNotFoundException', 404), 'x').code).toBe('LAMBDA_NOT_FOUND');
    expect(lambdaError(e('TooManyRequestsException', 429), 'x').code).toBe('LAMBDA_THROTTLED');
    expect(lambdaError(e('AccessDeniedException', 403), 'x').message).toMatch(
      /^lambda: x: AccessDeniedException: m \(check the credentials/,
    );
    expect(
      lambdaError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
        'x',
      ).code,
    ).toBe('LAMBDA_UNREACHABLE');
    expect(lambdaError(e('InvalidParameterValueException', 400), 'x').code).toBe('LAMBDA_REQUEST');
    expect(lambdaError(e('RequestEntityTooLargeException', 413), 'x').code).toBe(
      'LAMBDA_PAYLOAD_TOO_LARGE',
    );
    expect(lambdaError(e('ResourceConflictException', 409), 'x').code).toBe('LAMBDA_CONFLICT');
    // AWS's answer to a request signed for another region (403, like a denial, but its own code).
    const region = Object.assign(
      new Error("Credential should be scoped to a valid region, not 'eu-west-1'. "),
      { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } },
    );
    expect(lambdaError(region, 'x')).toMatchObject({
      code: 'LAMBDA_WRONG_REGION',
      message:
        "lambda: x: InvalidSignatureException: Credential should be scoped to a valid region, not 'eu-west-1'. (set AWS_REGION to the region of the function's endpoint)",
    });
    expect(lambdaError(e('InvalidSignatureException', 403), 'x').code).toBe('LAMBDA_DENIED');
  });
});

/** An indicator of a strategy's own, without saveState: it counts the bars it was fed. */
function counter() {
  return {
    input: 'close',
    period: 4,
    n: 0,
    updateBar() {
      this.n++;
    },
    updateValue() {},
  };
}

function answer(seq: number, commands: unknown[], ordersMade: number): string {
  return JSON.stringify({
    v: 1,
    seq,
    keep: { bars: 1, trades: 1 },
    reply: { ok: true, output: { commands, logs: [] }, ordersMade, snapshot: null },
    state: { state: {}, ordersMade, random: [1, 2, 3, 4] },
  });
}

describe('lambdaClient', () => {
  it("without a region takes the SDK's (the profile's), not us-east-1; with one, that one", async () => {
    const dir = tempDir('kairos-aws-config-');
    const file = path.join(dir, 'config');
    writeFileSync(file, '[profile quant]\nregion = eu-central-1\n');
    const saved = { ...process.env };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    Object.assign(process.env, { AWS_CONFIG_FILE: file, AWS_PROFILE: 'quant' });
    try {
      const fromProfile = lambdaClient({ region: undefined, endpoint: undefined });
      expect(await fromProfile.config.region()).toBe('eu-central-1');
      fromProfile.destroy();
      const given = lambdaClient({ region: 'ap-south-1', endpoint: undefined });
      expect(await given.config.region()).toBe('ap-south-1');
      given.destroy();
    } finally {
      process.env = saved;
    }
  });
});
