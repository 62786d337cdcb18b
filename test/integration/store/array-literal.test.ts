import fc from 'fast-check';
import { sql } from 'kysely';
import { jsonArray, numberArray, textArray } from '../../../src/store/array-literal.js';
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

  it('gives back each JSON text of a JSON array byte for byte, in order', async () => {
    // JSON texts as the journal writes them: any storable string (quotes, backslashes, control
    // characters, non-ASCII), numbers as JSON.stringify writes them, nesting.
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        storable,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constantFrom(null, '\u0001\n\t\u001f', 'é😀 \u2028'),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(storable, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 8 }), async (values) => {
        const texts = values.map((v) => JSON.stringify(v));
        const { rows } = await sql<{ t: string; i: string }>`
          select p::text as t, i::text from json_array_elements(${jsonArray(texts)}::json)
            with ordinality as e(p, i)`.execute(store.db);
        expect(rows.map((r) => r.t)).toEqual(texts);
        expect(rows.map((r) => Number(r.i))).toEqual(texts.map((_, i) => i + 1));
      }),
      { numRuns: 60, seed: 18 },
    );
  });
});
