import { Type } from '@fastify/type-provider-typebox';
import { INTEGER_PATTERN, INTEGER_RULE } from './number-grammar.js';

/** An optional integer query parameter in its one spelling (`number-grammar.ts`). */
function integer(description: string) {
  return Type.Optional(
    Type.String({ pattern: INTEGER_PATTERN, description: `${description}: ${INTEGER_RULE}` }),
  );
}

const LIMIT_PATTERNS = {
  500: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$',
  1000: '^([1-9][0-9]{0,2}|1000)$',
} as const;

/**
 * Query-string parameters. Query strings are not coerced (bodies must not be), so numbers are
 * digit strings checked by a pattern and converted in the handler.
 *
 * @example
 * querystring: Type.Object({ limit: QueryParams.limit(500, 100) }, { additionalProperties: false })
 */
export const QueryParams = {
  /** A page size from 1 to `max`. */
  limit: (max: keyof typeof LIMIT_PATTERNS, fallback: number) =>
    Type.Optional(
      Type.String({
        pattern: LIMIT_PATTERNS[max],
        description: `page size, 1-${max} (default ${fallback})`,
      }),
    ),
  /** A time in milliseconds since the epoch, UTC. */
  ms: (description: string) => integer(`${description} (ms)`),
  /** A non-negative integer (a sequence number), in its one spelling (`number-grammar.ts`). */
  integer,
};
