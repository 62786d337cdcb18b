/**
 * `'identical'`, or where two files' bytes first differ (their lengths, the offset, 40 bytes of
 * each from there). For `expect(byteDiff(a, b)).toBe('identical')`: Jest's `toEqual` walks a
 * Buffer element by element, 3.4 s of CPU for two 1 MB files; this is one `Buffer.equals`, and a
 * failure still says where.
 */
export function byteDiff(actual: Buffer, expected: Buffer): string {
  if (actual.equals(expected)) return 'identical';
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const at = (b: Buffer) => JSON.stringify(b.subarray(i, i + 40).toString('latin1'));
  return `${actual.length} and ${expected.length} bytes, first difference at byte ${i}: ${at(actual)} vs ${at(expected)}`;
}
