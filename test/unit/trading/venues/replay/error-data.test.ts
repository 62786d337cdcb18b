import { readFileSync } from 'node:fs';
import { InvariantError, KairosError } from '../../../../../src/trading/core/errors.js';
import { DataFormatError } from '../../../../../src/trading/data/readers/data-format-error.js';
import { errorAsData, errorFromData } from '../../../../../src/trading/venues/replay/error-data.js';

/** `e` taken apart, cloned as a message between threads is, and made again. */
const again = (e: unknown) => errorFromData(structuredClone(errorAsData(e)));

const fields = (e: Error) => ({
  ...e,
  class: e.constructor.name,
  message: e.message,
  stack: e.stack,
});

describe('errors between threads', () => {
  it('makes the same class with the same message, fields and stack', () => {
    let system: Error | null = null;
    try {
      readFileSync('/no/such/file');
    } catch (e) {
      system = e as Error;
    }
    const cases: Error[] = [
      new DataFormatError('x.csv', 17, 'close', '"abc" is not a number'),
      new KairosError('DATA_EMPTY', 'x.csv: no rows'),
      new KairosError('DATA_FORMAT', 'bad', { cause: new TypeError('inner') }),
      new InvariantError('UNREACHABLE', 'never'),
      new RangeError('too far'),
      system!,
    ];
    for (const e of cases) {
      const made = again(e);
      expect(fields(made)).toEqual(fields(e));
      // Ours are our classes (Node's own may be of another realm under Jest: by name above).
      if (e instanceof KairosError || e instanceof InvariantError)
        expect(made).toBeInstanceOf(e.constructor);
      expect(made.cause === undefined).toBe(e.cause === undefined);
    }
    const withCause = again(cases[2]);
    expect(withCause.cause).toBeInstanceOf(TypeError);
    expect((withCause.cause as Error).message).toBe('inner');
    expect(again(system)).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open' });
  });

  it('takes a thrown value that is not an Error as an Error of its text', () => {
    expect(again('just text')).toMatchObject({ name: 'Error', message: 'just text' });
  });
});
