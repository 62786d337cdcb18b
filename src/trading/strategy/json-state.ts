import { KairosError } from '../core/errors.js';
import type { JsonObject } from './strategy-context.js';

function check(x: unknown, at: string): void {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw bad(at, `${x} is not a finite number`);
    return;
  }
  if (Array.isArray(x)) return x.forEach((v, i) => check(v, `${at}[${i}]`));
  if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const [k, v] of Object.entries(x)) check(v, `${at}.${k}`);
    return;
  }
  const what =
    typeof x === 'object'
      ? `a ${(x as object).constructor?.name ?? 'non-plain object'}`
      : `a ${typeof x}`;
  throw bad(at, `${what} is not plain JSON`);
}

const bad = (at: string, problem: string) =>
  new KairosError(
    'STRATEGY_STATE',
    `strategy state ${at}: ${problem} (keep state to JSON values so it can be snapshotted)`,
  );

/**
 * A deep copy of a strategy's state, after checking it is plain JSON (objects, arrays, strings,
 * finite numbers, booleans, null); otherwise `KairosError('STRATEGY_STATE')` naming the path.
 *
 * @example
 * snapshotState({ lastSign: 1 }); // { lastSign: 1 }
 */
export function snapshotState(state: unknown): JsonObject {
  check(state, 'state');
  if (state === null || typeof state !== 'object' || Array.isArray(state))
    throw bad('state', 'must be an object');
  return JSON.parse(JSON.stringify(state)) as JsonObject;
}
