/** The rule a repeated key breaks, as a problem's detail names it. */
export const DUPLICATE_KEY_RULE =
  'must not repeat a key in one object (a reader that keeps the first would see another value)';

interface Level {
  /** The keys an object has had so far; null for an array. */
  readonly keys: Set<string> | null;
  /** An object's last key, an array's current index. */
  key: string;
  index: number;
}

/** Where the innermost open object or array is, from the root: `body.legs[1]`. */
function pathOf(levels: readonly Level[], root: string): string {
  let at = root;
  for (let i = 0; i < levels.length - 1; i++) {
    const level = levels[i]!;
    at += level.keys ? `.${level.key}` : `[${level.index}]`;
  }
  return at;
}

/**
 * The first key an object of `text` repeats, as `{ field, rule }` (`body.legs[0].side`), or null.
 * `text` must already be valid JSON (`JSON.parse` accepted it): a key is compared as decoded, so
 * `"a"` and `"\u0061"` are the same key. One pass, no recursion: linear in the text, and no
 * nesting can exhaust the stack.
 *
 * @example
 * firstDuplicateKey('{"side":"BUY","side":"SELL"}', 'body'); // { field: 'body.side', rule: DUPLICATE_KEY_RULE }
 */
export function firstDuplicateKey(
  text: string,
  root: string,
): { readonly field: string; readonly rule: string } | null {
  const levels: Level[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) {
          escaped = true;
          i++;
        }
      }
      if (!expectKey) continue;
      expectKey = false;
      const key = escaped
        ? (JSON.parse(text.slice(start, i + 1)) as string)
        : text.slice(start + 1, i);
      const top = levels.at(-1)!;
      if (top.keys!.has(key))
        return { field: `${pathOf(levels, root)}.${key}`, rule: DUPLICATE_KEY_RULE };
      top.keys!.add(key);
      top.key = key;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      levels.push({ keys: c === 0x7b ? new Set() : null, key: '', index: 0 });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      levels.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = levels.at(-1)!;
      if (top.keys) expectKey = true;
      else top.index++;
    }
  }
  return null;
}
