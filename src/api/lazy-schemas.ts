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
  const validators = AjvCompiler();
  const serializers = SerializerSelector();
  // Each factory called (an Ajv instance made) only when a first schema is compiled.
  const once = <T>(make: () => T): (() => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };
  const buildValidator: ValidatorFactory = (externalSchemas, options) => {
    const compiler = once(() => validators(externalSchemas, options));
    return (route) => {
      let real: Validate | undefined;
      const compile = () => (real ??= compiler()(route) as Validate);
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
      const compile = () => (real ??= compiler()(route));
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
