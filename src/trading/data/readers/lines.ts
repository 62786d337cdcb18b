/**
 * Splits text chunks (cut anywhere, even mid-line) into lines, with their 1-based numbers.
 * Handles LF and CRLF.
 *
 * @example
 * for await (const batch of lines(chunks)) for (const [text, n] of batch) ...
 */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    const parts = text.split('\n');
    rest = parts.pop()!;
    if (parts.length > 0) yield parts;
  }
  if (rest.length > 0) yield [rest];
}
