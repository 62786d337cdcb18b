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
  return `{${xs.map((x) => `"${x.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** A Postgres array literal of integers (`{1,2,3}`) for a `$n::bigint[]` parameter. */
export function numberArray(xs: readonly number[]): string {
  return `{${xs.join(',')}}`;
}
