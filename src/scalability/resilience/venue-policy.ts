import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  retry,
} from 'cockatiel';
import { KairosError } from '../../trading/core/errors.js';
import { venueErrorKind, type VenueErrorKind } from './venue-error-kind.js';

/** The circuit breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Options of {@link createVenuePolicy}; the defaults suit a REST venue. */
export interface VenuePolicyOptions {
  /** Names the venue in errors. */
  readonly venue: string;
  /** Attempts of a read, the first included (default 3). Writes always get exactly one. */
  readonly readAttempts?: number;
  /** Backoff between read attempts: exponential with jitter (defaults 200 ms and 5 s). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Consecutive transient failures that open the breaker (default 5). */
  readonly breakAfter?: number;
  /** How long the breaker stays open before one trial call (default 30 s). */
  readonly halfOpenAfterMs?: number;
  /** Error classification (default {@link venueErrorKind}). */
  readonly classify?: (error: unknown) => VenueErrorKind;
}

/** A call to the venue; it should stop when `signal` aborts. */
export type VenueCall<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Resilience for one venue connection. The rule: **order writes are never retried.** A write
 * (create, cancel, edit) that timed out may have reached the venue; resending it could
 * double an order, so its outcome is settled by reconciliation (DESIGN.md invariant 4). Reads
 * (balances, orders, trades, market data) are retried on transient errors with backoff.
 *
 * Reads and writes share one circuit breaker: after `breakAfter` consecutive transient failures
 * every call fails at once with `VENUE_CIRCUIT_OPEN` (nothing is sent, so a refused write is
 * known not to have reached the venue) until `halfOpenAfterMs` have passed; then one trial
 * call closes it again or re-opens it. Rate-limit and permanent errors pass through untouched.
 */
export interface VenuePolicy {
  /** Runs a read: retried on transient errors, guarded by the breaker. */
  read<T>(call: VenueCall<T>): Promise<T>;
  /** Runs an order write: one attempt, guarded by the breaker. */
  write<T>(call: VenueCall<T>): Promise<T>;
  /** The breaker's state now. */
  readonly state: BreakerState;
  /** Calls `listener` on every state change; returns a function that stops it. */
  onStateChange(listener: (state: BreakerState) => void): () => void;
  /** Holds the breaker open (e.g. while the venue announced maintenance) until `dispose()`. */
  isolate(): { dispose(): void };
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * Builds the cockatiel retry + circuit-breaker policy of one venue.
 *
 * @example
 * const policy = createVenuePolicy({ venue: 'binance' });
 * const balance = await policy.read(() => exchange.fetchBalance());
 * const order = await policy.write(() => exchange.createOrder(...)); // never retried
 */
export function createVenuePolicy(options: VenuePolicyOptions): VenuePolicy {
  const classify = options.classify ?? venueErrorKind;
  const transient = handleWhen((error) => classify(error) === 'transient');
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
    breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
  });
  const readRetry = retry(transient, {
    maxAttempts: Math.max(0, (options.readAttempts ?? 3) - 1),
    backoff: new ExponentialBackoff({
      initialDelay: options.backoff?.initialMs ?? 200,
      maxDelay: options.backoff?.maxMs ?? 5_000,
    }),
  });

  const guarded = async <T>(call: VenueCall<T>, outer?: AbortSignal): Promise<T> => {
    try {
      return await breaker.execute(({ signal }) => call(signal), outer);
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new KairosError(
          'VENUE_CIRCUIT_OPEN',
          `${options.venue}: circuit open after repeated failures; nothing was sent`,
          { cause: breaker.lastFailure ?? error },
        );
      }
      throw error;
    }
  };

  return {
    read: (call) => readRetry.execute(({ signal }) => guarded(call, signal)),
    write: (call) => guarded(call),
    get state() {
      return STATES[breaker.state];
    },
    onStateChange(listener) {
      const sub = breaker.onStateChange((s) => listener(STATES[s]));
      return () => sub.dispose();
    },
    isolate: () => breaker.isolate(),
  };
}
