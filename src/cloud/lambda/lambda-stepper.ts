import { ClientOrderIds } from '../../trading/core/client-order-id.js';
import { InvariantError, KairosError } from '../../trading/core/errors.js';
import {
  instrumentToJson,
  type Instrument,
  type InstrumentSpec,
} from '../../trading/model/instrument.js';
import type {
  SeamReply,
  SeamRequest,
  StrategyTransport,
} from '../../trading/strategy/seam-protocol.js';
import type { IndicatorsState } from '../../trading/strategy/indicator-set.js';
import type { StrategySnapshotJson } from '../../trading/strategy/strategy-seam.js';
import {
  LAMBDA_PROTOCOL,
  trimWarmup,
  warmEntry,
  type StepIndicators,
  type LambdaStep,
  type LambdaStepResult,
  type WarmEntry,
  type WarmupNeed,
} from './lambda-protocol.js';

/** What a stepper needs: the strategy's id, instrument and params, and how to invoke. */
export interface LambdaStepperOptions {
  readonly strategyId: string;
  readonly instrument: Instrument;
  /** The params as resolved by the host (plain JSON). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Invokes the function with a step's JSON text and answers its JSON text. */
  readonly invoke: (payload: string) => Promise<string>;
  /** Invocations allowed per minute of the host's clock (default 600). */
  readonly maxPerMinute?: number;
  /** Told of each invocation's payload (tests: the canary check). */
  readonly onPayload?: (payload: string) => void;
}

const bad = (message: string) => new KairosError('LAMBDA_BAD_REPLY', `lambda: ${message}`);
const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const spec = (i: Instrument): InstrumentSpec => instrumentToJson(i);

/**
 * The host's side of a strategy run as a Lambda function, as a `StrategyTransport` for the
 * `RemoteSeam`: it keeps what the function must not (the strategy's snapshot, its indicators'
 * exact state, and the warm-up window: the bar history, and every bar and trade since that
 * state, such as those of failed steps), wraps each seam request into a `LambdaStep`, invokes, checks
 * the answer whole before anything of it is used (a version 1 result of this `seq`, known
 * commands only, submits under exactly the next client order ids, a snapshot) and keeps the
 * snapshot it brings. Warm-ups and snapshots are answered here without an invocation. One
 * invocation at a time; at most `maxPerMinute` per minute of the host's clock
 * (`LAMBDA_RATE_CAPPED` beyond).
 *
 * @example
 * const stepper = new LambdaStepper({ strategyId, instrument, params, invoke });
 * const seam = new RemoteSeam(host, stepper.transport);
 */
export class LambdaStepper {
  readonly transport: StrategyTransport;
  #state: StrategySnapshotJson | null = null;
  #window: WarmEntry[] = [];
  #keep: WarmupNeed | null = null;
  /** The indicators' state of the last good step, and how many window entries it holds. */
  #indicators: { readonly state: IndicatorsState; readonly at: number } | null = null;
  /** Entries ever pushed to the window. */
  #seen = 0;
  #seq = 0;
  #accountId = '';
  #turn: Promise<unknown> = Promise.resolve();
  readonly #recent: number[] = [];
  /** Each window entry's JSON text (`#payload`). */
  readonly #texts = new WeakMap<WarmEntry, string>();
  readonly #ids: string;
  readonly #instrument: InstrumentSpec;

  constructor(private readonly options: LambdaStepperOptions) {
    this.#ids = ClientOrderIds.tagOf(options.strategyId);
    this.#instrument = spec(options.instrument);
    this.transport = (text) => {
      const run = this.#turn.then(() => this.#handle(text));
      this.#turn = run.catch(() => undefined);
      return run;
    };
  }

  /** The strategy's snapshot after the last step that succeeded (null before `start`). */
  get state(): StrategySnapshotJson | null {
    return this.#state;
  }

  /** Steps invoked so far. */
  get steps(): number {
    return this.#seq;
  }

  async #handle(text: string): Promise<string> {
    const req = JSON.parse(text) as SeamRequest;
    const ordersMade = this.#state?.ordersMade ?? 0;
    const here = (snapshot: StrategySnapshotJson | null): string =>
      JSON.stringify({ ok: true, output: { commands: [], logs: [] }, ordersMade, snapshot });
    switch (req.kind) {
      case 'warm':
        this.#see(warmEntry(req.bar));
        return here(null);
      case 'warmTrade':
        this.#see(warmEntry(req.tick));
        return here(null);
      case 'snapshot':
        if (!this.#state) throw new KairosError('STRATEGY_SEAM', 'lambda: snapshot before start');
        return here(this.#state);
      default:
        break;
    }
    try {
      return JSON.stringify(await this.#invoke(req));
    } finally {
      // A bar or trade was seen whether or not its step succeeded: later steps warm with it.
      if (req.kind === 'bar') this.#see(warmEntry(req.bar));
      else if (req.kind === 'trade') this.#see(warmEntry(req.tick));
    }
  }

  async #invoke(req: Exclude<SeamRequest, { kind: 'warm' | 'warmTrade' | 'snapshot' }>) {
    this.#cap(req.view.ts);
    const seq = ++this.#seq;
    if (req.kind === 'start') this.#accountId = req.accountId;
    const { warmup, indicators } =
      req.kind === 'start' ? { warmup: [], indicators: null } : this.#warmup();
    const step: LambdaStep = {
      v: LAMBDA_PROTOCOL,
      seq,
      strategyId: this.options.strategyId,
      accountId: this.#accountId,
      instrument: this.#instrument,
      params: this.options.params,
      state: req.kind === 'start' ? null : this.#state,
      warmup,
      indicators,
      request: req,
    };
    const payload = this.#payload(step);
    this.options.onPayload?.(payload);
    const answer = await this.options.invoke(payload);
    const ordersMade = req.kind === 'start' ? req.start.ordersMade : (this.#state?.ordersMade ?? 0);
    const result = this.#check(answer, seq, ordersMade);
    if (result.reply.ok) {
      this.#state = result.state;
      // The function fed it this step's bar or trade, which the window gets right after.
      const at = this.#seen + (req.kind === 'bar' || req.kind === 'trade' ? 1 : 0);
      this.#indicators = result.indicators ? { state: result.indicators, at } : null;
    }
    this.#keep = result.keep;
    this.#trim();
    return result.reply;
  }

  /**
   * `JSON.stringify(step)`, byte for byte, with each warm-up entry's text made once: every step
   * sends the history again (up to 500 bars by default), and writing its numbers as text again
   * each step cost ~1 ms of the host's CPU a step at 500 bars (0.25 ms now; docs/testing.md).
   */
  #payload({ warmup, indicators, request, ...head }: LambdaStep): string {
    const entries = warmup.map((e) => {
      let text = this.#texts.get(e);
      if (text === undefined) this.#texts.set(e, (text = JSON.stringify(e)));
      return text;
    });
    return `${JSON.stringify(head).slice(0, -1)},"warmup":[${entries.join(',')}],${JSON.stringify({ indicators, request }).slice(1)}`;
  }

  /** Entries in the window that the indicators' state does not hold: all at its end. */
  #since(): number {
    const since = this.#indicators ? this.#seen - this.#indicators.at : 0;
    if (since > this.#window.length)
      throw new InvariantError('LAMBDA_WINDOW', 'lambda: the warm-up window lost an entry');
    return since;
  }

  /**
   * The warm-up of a step: the history the function asks for, then every entry since the
   * indicators' state (all of it while there is none), with where that state ends.
   */
  #warmup(): { warmup: WarmEntry[]; indicators: StepIndicators | null } {
    const held = this.#indicators;
    if (!held)
      return {
        warmup: this.#keep ? trimWarmup(this.#window, this.#keep) : this.#window,
        indicators: null,
      };
    const split = this.#window.length - this.#since();
    const past = this.#window.slice(0, split);
    const history = this.#keep ? trimWarmup(past, this.#keep) : past;
    return {
      warmup: [...history, ...this.#window.slice(split)],
      indicators: { state: held.state, from: history.length },
    };
  }

  /** Refuses an invocation past the per-minute cap (in the host's time). */
  #cap(ts: number): void {
    const max = this.options.maxPerMinute ?? 600;
    while (this.#recent.length > 0 && this.#recent[0]! <= ts - 60_000) this.#recent.shift();
    if (this.#recent.length >= max)
      throw new KairosError(
        'LAMBDA_RATE_CAPPED',
        `lambda: ${this.options.strategyId}: over ${max} invocations a minute; step skipped`,
      );
    this.#recent.push(ts);
  }

  /** The answer, checked whole: nothing of a bad one is used. */
  #check(text: string, seq: number, ordersMade: number): LambdaStepResult {
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch {
      throw bad(`step ${seq}: the answer is not JSON`);
    }
    if (!isObject(r) || r.v !== LAMBDA_PROTOCOL)
      throw bad(`step ${seq}: not a version ${LAMBDA_PROTOCOL} result`);
    if (r.seq !== seq) throw bad(`step ${seq}: the answer is for step ${String(r.seq)}`);
    const keep = r.keep;
    if (!isObject(keep) || !Number.isInteger(keep.bars) || !Number.isInteger(keep.trades))
      throw bad(`step ${seq}: no warm-up need`);
    const reply = r.reply as SeamReply;
    if (!isObject(reply) || typeof reply.ok !== 'boolean') throw bad(`step ${seq}: no reply`);
    if (!reply.ok) {
      if (!isObject(reply.error) || typeof reply.error.code !== 'string')
        throw bad(`step ${seq}: a failed reply without its error`);
      return r as unknown as LambdaStepResult;
    }
    if (
      !isObject(reply.output) ||
      !Array.isArray(reply.output.commands) ||
      !Array.isArray(reply.output.logs)
    )
      throw bad(`step ${seq}: the reply has no commands or logs`);
    let n = ordersMade;
    for (const c of reply.output.commands as unknown[]) {
      if (!isObject(c) || typeof c.clientOrderId !== 'string' || typeof c.ts !== 'number')
        throw bad(`step ${seq}: a command is not a command`);
      if (c.kind === 'submit') {
        const expected = `${this.#ids}-${++n}`;
        if (c.clientOrderId !== expected)
          throw bad(
            `step ${seq}: submit ${c.clientOrderId}: must use the next client order id ${expected}`,
          );
        if (!isObject(c.request) || typeof c.request.quantity !== 'string')
          throw bad(`step ${seq}: submit ${c.clientOrderId} has no request`);
      } else if (c.kind !== 'cancel')
        throw bad(`step ${seq}: unknown command ${JSON.stringify(c.kind)}`);
    }
    if (reply.ordersMade !== n)
      throw bad(`step ${seq}: ordersMade ${String(reply.ordersMade)}, the commands make ${n}`);
    const ind = r.indicators;
    if (
      ind !== undefined &&
      (!isObject(ind) || !Number.isSafeInteger(ind.bars) || !isObject(ind.values))
    )
      throw bad(`step ${seq}: the indicators' state is not one`);
    const state = r.state;
    if (
      !isObject(state) ||
      !isObject(state.state) ||
      state.ordersMade !== n ||
      !Array.isArray(state.random)
    )
      throw bad(`step ${seq}: no snapshot after the step`);
    return r as unknown as LambdaStepResult;
  }

  #see(e: WarmEntry): void {
    this.#window.push(e);
    this.#seen++;
    const keep = this.#keep;
    if (keep && this.#window.length > 2 * (keep.bars + keep.trades) + this.#since()) this.#trim();
  }

  /** Drops what no step needs: older than the history, and held by the indicators' state. */
  #trim(): void {
    if (!this.#keep) return;
    const split = this.#window.length - this.#since();
    const history = trimWarmup(this.#window.slice(0, split), this.#keep);
    this.#window =
      split === this.#window.length ? history : history.concat(this.#window.slice(split));
  }
}
