/**
 * A Postgres array literal of texts (`{"a","b\"c"}`) for a `$n::text[]` parameter: every element
 * quoted, `\` and `"` escaped, so any text goes (NUL aside, which no stored text holds:
 * `storableText`). Rows as parallel arrays (`unnest`) are several times cheaper for Postgres to
 * read than the same rows as one `json_to_recordset` document (`docs/benchmarks.md`).
 *
 * @example
 * sql`select * from unnest(${textArray(ids)}::text[], ${numberArray(ts)}::bigint[])`;
 */
export function textArray(xs: readonly string[]): string {
  // Built in one pass; `replaceAll` twice, and only when needed, is about twice as fast as one
  // `replace` with a pattern (most elements, ids and hashes, need no escape at all).
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const escaped =
      x.includes('"') || x.includes('\\') ? x.replaceAll('\\', '\\\\').replaceAll('"', '\\"') : x;
    out += i === 0 ? `"${escaped}"` : `,"${escaped}"`;
  }
  return `${out}}`;
}

/** A Postgres array literal of integers (`{1,2,3}`) for a `$n::bigint[]` parameter. */
export function numberArray(xs: readonly number[]): string {
  return `{${xs.join(',')}}`;
}

/**
 * A JSON array of JSON texts (`[{"a":1},[2]]`) for a `$n::json` parameter read with
 * `json_array_elements`, which gives back each element's text exactly as written here (a `json`
 * value is its text; `::text` of one is the same bytes). Nothing is escaped or copied per
 * element: for payloads already JSON this replaces `textArray`, which had to escape every quote
 * of every payload (several copies of each, the journal commit's largest allocation). Each of
 * `xs` must be one complete JSON text, as `JSON.stringify` writes it.
 *
 * @example
 * sql`select p::text from json_array_elements(${jsonArray(payloads)}::json) as p`;
 */
export function jsonArray(xs: readonly string[]): string {
  return `[${xs.join(',')}]`;
}
