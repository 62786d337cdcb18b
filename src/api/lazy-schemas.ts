import AjvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';

interface Compilers {
  buildValidator: ValidatorFactory;
  buildSerializer: SerializerFactory;
}

/** What Fastify calls to validate a request part: Ajv's signature (errors on the function). */
interface Validate {
  (data: unknown, context?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

/**
 * Compiled schemas of this process, by what decides the compiled code: the compiler's options
 * and external schemas and the schema itself, as JSON (every keyword Ajv and fast-json-stringify
 * read is JSON; our route schemas have no `$id` and no functions). The routes' schemas are made
 * anew by each app, and many are the same schema (the problem answers of every route, a GET's
 * HEAD twin, the same body on two routes): each is compiled once a process, not once per route
 * and app (test files start several apps; Ajv compiles were ~0.35 s of CPU an app there).
 */
const compiled = new Map<string, unknown>();
/** One pool each for the process, so every app with the same options shares one Ajv instance. */
const validators = AjvCompiler();
const serializers = SerializerSelector();

/** `compiled`'s key, or undefined when the options hold what JSON cannot tell apart (plugins, hooks). */
function cacheKey(kind: string, externalSchemas: unknown, options: unknown, schema: unknown) {
  const o = (options ?? {}) as Record<string, unknown>;
  const opaque = (v: unknown) => typeof v === 'function' || (Array.isArray(v) && v.length > 0);
  if (Object.values(o).some(opaque)) return undefined;
  try {
    return JSON.stringify([kind, externalSchemas, options ?? null, schema]);
  } catch {
    return undefined; // (a BigInt: compiled each time, as before)
  }
}

/** `compile()` once per key (always, without one). */
function cachedCompile<T>(key: string | undefined, compile: () => T): T {
  if (key === undefined) return compile();
  if (!compiled.has(key)) compiled.set(key, compile());
  return compiled.get(key) as T;
}

/**
 * Fastify's own compilers (Ajv for requests, fast-json-stringify for answers), each schema
 * compiled the first time a request needs it instead of all at start-up: the API has ~70 routes
 * (each GET also as HEAD) with up to ten answer schemas each, whose compilation was ~0.5-1 s of
 * a `kairos serve` start's CPU, most of it for routes a given process never answers. Behaviour
 * is Fastify's: the same compilers, options and schemas (header names still lower-cased by
 * Fastify, which sees no custom compiler: install with `app.setSchemaController`), the same
 * validation errors; only a schema that fails to compile fails at its first use instead of at
 * start-up, which `compileAll` (the tests, on every route) brings back.
 *
 * @example
 * const lazy = lazySchemas(); app.setSchemaController({ compilersFactory: lazy.compilersFactory });
 * // …routes registered, app ready…
 * lazy.compileAll(); // throws if any schema does not compile
 */
export function lazySchemas(): { compilersFactory: Compilers; compileAll(): void } {
  const pending = new Set<() => void>();
  // Each factory called (an Ajv instance made) only when a first schema is compiled.
  const once = <T>(make: () => T): (() => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };
  const buildValidator: ValidatorFactory = (externalSchemas, options) => {
    const compiler = once(() => validators(externalSchemas, options));
    return (route) => {
      let real: Validate | undefined;
      const compile = () =>
        (real ??= cachedCompile(
          cacheKey('validator', externalSchemas, options, route.schema),
          () => compiler()(route) as Validate,
        ));
      pending.add(compile);
      const validate: Validate = (data, context) => {
        const fn = compile();
        const result = fn(data, context);
        validate.errors = fn.errors;
        return result;
      };
      // Fastify gives an Ajv function (one with `schemaEnv`) the request as parent, so Ajv can
      // replace the root value (defaults); the real function always is one.
      validate.schemaEnv = true;
      return validate as unknown as ReturnType<ReturnType<ValidatorFactory>>;
    };
  };
  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    const compiler = once(() => serializers(externalSchemas, options));
    return (route) => {
      let real: ((data: unknown) => string) | undefined;
      const compile = () =>
        (real ??= cachedCompile(
          cacheKey('serializer', externalSchemas, options, route.schema),
          () => compiler()(route),
        ));
      pending.add(compile);
      return (data: unknown) => compile()(data);
    };
  };
  return {
    compilersFactory: { buildValidator, buildSerializer },
    compileAll: () => {
      for (const compile of pending) compile();
    },
  };
}
