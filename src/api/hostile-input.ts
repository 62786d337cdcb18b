import type { FastifyInstance } from 'fastify';
import { apiError } from './problem.js';

/** Deepest nesting of arrays and objects a request may carry. */
export const MAX_INPUT_DEPTH = 32;

// In a `u` regex a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why a string cannot be stored or hashed as it is (Postgres text refuses both), or null. */
export function textRule(s: string): string | null {
  if (s.includes('\0')) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (a lone surrogate is not)';
  return null;
}

/**
 * The first place in a parsed input (JSON value, query, params, headers) that holds a string
 * (value or key) no store can keep, or nesting deeper than `MAX_INPUT_DEPTH`: `{ field, rule }`,
 * or null. Walks without recursion, so no input can exhaust the stack.
 *
 * @example
 * firstHostile({ tag: 'a\u0000b' }, 'body'); // { field: 'body.tag', rule: 'must not contain NUL (U+0000)' }
 */
export function firstHostile(
  value: unknown,
  root: string,
): { readonly field: string; readonly rule: string } | null {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length > 0) {
    const [v, at, depth] = stack.pop()!;
    if (typeof v === 'string') {
      const rule = textRule(v);
      if (rule) return { field: at, rule };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      return { field: at, rule: `must not nest deeper than ${MAX_INPUT_DEPTH} levels` };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`, depth + 1]);
      continue;
    }
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      const keyRule = textRule(k);
      if (keyRule) return { field: `${at} (a key)`, rule: keyRule };
      stack.push([item, `${at}.${k}`, depth + 1]);
    }
  }
  return null;
}

/**
 * One check for every route: path and query parameters, headers and the parsed body are
 * refused (400 `VALIDATION`, naming the field) when a string holds NUL or a lone surrogate, or
 * the body nests too deep, before any schema, handler or store sees them.
 */
export function refuseHostileInput(app: FastifyInstance): void {
  // A callback hook, not an async one: no promise and no microtask a request.
  app.addHook('preValidation', (req, _reply, done) => {
    const found =
      firstHostile(req.params, 'params') ??
      firstHostile(req.query, 'query') ??
      firstHostile(req.headers, 'headers') ??
      firstHostile(req.body, 'body');
    done(found ? apiError('VALIDATION', `${found.field}: ${found.rule}`) : undefined);
  });
}
