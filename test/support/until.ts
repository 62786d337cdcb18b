import { appendFileSync } from 'node:fs';

/**
 * Polls `get` until it gives a value (not `undefined` or `false`), with a deadline; no fixed
 * sleeps. Answers the value; throws naming `what` when the deadline passes.
 * `KAIROS_TEST_UNTIL_LOG=file` appends each wait of 100 ms or more (what, ms) to `file`: where a
 * slow test file waits (docs/testing.md, "Test suite time").
 */
export async function until<T>(
  get: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const start = Date.now();
  const end = start + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) {
      logWait(what, Date.now() - start);
      return v;
    }
    if (Date.now() > end) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function logWait(what: string, ms: number): void {
  const log = process.env.KAIROS_TEST_UNTIL_LOG;
  if (log && ms >= 100)
    appendFileSync(log, `${JSON.stringify({ at: new Date().toISOString(), what, ms })}\n`);
}
