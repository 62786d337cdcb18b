import { sql } from 'kysely';
import { FixedStatement } from '../../../src/store/fixed-statement.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { statementKinds } from '../../support/statement-kinds.js';

/**
 * A statement whose text is compiled once and run with new values each time (the order
 * journal's one-statement commit): its slots are numbered after the values bound with the text,
 * a slot used twice is one parameter, and a slot with no value is refused before anything runs.
 */
describe.each(DIALECTS)('a fixed statement on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('is compiled once; each call runs it with its own values, bound values first', async () => {
    const { plugin, kinds, executed } = statementKinds();
    const db = store.db.withPlugin(plugin);
    const st = new FixedStatement<'x' | 'y'>(
      db,
      (p) =>
        sql`select ${'bound'}::text as b, ${p('x')}::int + ${p('x')}::int as twice,
          ${p('y')}::text as y, ${7}::int as seven`,
    );
    expect(kinds).toEqual(['RawNode']);
    expect(st.text).not.toMatch(/slot/);
    // The bound values are $1 and $2 wherever they stand; the slots follow, one number each.
    expect(st.text).toMatch(
      /\$1::text as b, \$3::int \+ \$3::int as twice,\s+\$4::text as y, \$2::int/,
    );
    for (const [x, y] of [
      [2, 'a'],
      [5, 'q"u\\o,te{}'],
    ] as const) {
      const { rows } = await st.execute<Record<string, unknown>>(db, { x, y });
      expect(rows).toEqual([{ b: 'bound', twice: 2 * x, y, seven: 7 }]);
    }
    expect(kinds).toEqual(['RawNode']);
    expect(executed()).toBe(2);
  });

  it('refuses a slot with no value (STATEMENT_VALUE_MISSING) and runs nothing', async () => {
    const { plugin, executed } = statementKinds();
    const db = store.db.withPlugin(plugin);
    const st = new FixedStatement<'x' | 'y'>(
      db,
      (p) => sql`select ${p('x')}::int + ${p('y')}::int as n`,
    );
    expect(() => st.execute(db, { x: 1 } as unknown as { x: number; y: number })).toThrow(
      expect.objectContaining({
        code: 'STATEMENT_VALUE_MISSING',
        message: expect.stringMatching(/slot y/),
      }),
    );
    expect(executed()).toBe(0);
    expect((await st.execute<{ n: number }>(db, { x: 1, y: 2 })).rows).toEqual([{ n: 3 }]);
  });

  it('a value the database refuses fails that call only; the next runs', async () => {
    const st = new FixedStatement<'n'>(store.db, (p) => sql`select 10 / ${p('n')}::int as q`);
    await expect(st.execute(store.db, { n: 0 })).rejects.toMatchObject({ code: '22012' });
    expect((await st.execute<{ q: number }>(store.db, { n: 5 })).rows).toEqual([{ q: 2 }]);
  });
});
