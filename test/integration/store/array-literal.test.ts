import fc from 'fast-check';
import { sql } from 'kysely';
import { numberArray, textArray } from '../../../src/store/array-literal.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

/** Any text a row may hold: quotes, backslashes, braces, commas, blanks, `NULL`, any code point but NUL. */
const storable = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\u0000')),
  fc.string({
    unit: fc.constantFrom('"', '\\', '{', '}', ',', ' ', 'a', 'N', 'U', 'L', 'é'),
    maxLength: 12,
  }),
  fc.constantFrom('', 'NULL', '"', '\\', '\\"', '{}', 'a,b', ' x '),
);

describe.each(DIALECTS)('array literals read back by %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(() => store.drop());

  it('gives back exactly the texts and integers written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(storable, { maxLength: 8 }),
        fc.array(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { maxLength: 8 }),
        async (texts, ints) => {
          const { rows } = await sql<{ t: string[]; n: string[] }>`
            select ${textArray(texts)}::text[] as t, ${numberArray(ints)}::bigint[]::text[] as n`.execute(
            store.db,
          );
          expect(rows[0]!.t).toEqual(texts);
          expect(rows[0]!.n.map(Number)).toEqual(ints);
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });
});
