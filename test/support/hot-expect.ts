/**
 * `expect(actual).toBe / .toEqual` for assertions made tens of thousands of times (inside
 * fast-check properties, loops over thousands of rows). Each call of Jest's `expect` builds every
 * matcher of the registry (six closures each) and an `Error` with its stack: 0.1–0.2 ms, so
 * `scaled-decimal.test.ts` spent 8 of its 14.5 s of CPU in `expect` and 0.2 s in the code under
 * test. Here the comparison runs first; Jest's `expect` runs only when it fails (its message and
 * diff are the failure), or when the values are of a kind the quick comparison leaves to Jest.
 *
 * @example
 * hot(fromScaled(m, 2).toFixed()).toBe('1.50');
 */
export function hot<T>(actual: T) {
  return {
    /** As `expect(actual).toBe(expected)` (`Object.is`). */
    toBe(expected: T): void {
      if (!Object.is(actual, expected)) expect(actual).toBe(expected);
    },
    /** As `expect(actual).toEqual(expected)`. */
    toEqual(expected: unknown): void {
      if (!surelyEqual(actual, expected)) expect(actual).toEqual(expected);
    },
  };
}

/**
 * True only when `toEqual` surely passes: the same primitives (`Object.is`), arrays of the same
 * length whose elements are surely equal, plain objects with the same keys whose values are
 * surely equal. Anything else (class instances, maps, dates, buffers, an undefined property on
 * one side only) is false: Jest decides. So it is never looser than `toEqual`.
 */
function surelyEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // No holes, no other properties: only the elements to compare.
    if (Object.keys(a).length !== a.length || Object.keys(b).length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!surelyEqual(a[i], b[i])) return false;
    return true;
  }
  if (!plain(a) || !plain(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!surelyEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

function plain(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as unknown;
  return (
    (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(o).length === 0
  );
}
