/**
 * Polls `get` until it gives a value (not `undefined` or `false`), with a deadline; no fixed
 * sleeps. Answers the value; throws naming `what` when the deadline passes.
 */
export async function until<T>(
  get: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
