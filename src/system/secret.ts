const MASK = '***';

/**
 * A secret setting (a password, an API key). It prints as `***` everywhere (template strings,
 * `JSON.stringify`, `console.log`, `util.inspect`); only `reveal()` gives the value, so every
 * place that uses one is easy to find.
 *
 * @example
 * const key = new Secret('abc');
 * `${key}`; // '***'
 * key.reveal(); // 'abc'
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself: pass it on, never print it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}
