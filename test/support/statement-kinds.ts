import type { KyselyPlugin } from 'kysely';

/**
 * A kysely plugin that records the kind of every query it sees compiled (`RawNode` for a `sql`
 * template, `InsertQueryNode`…), to tell one statement from a transaction of several, and counts
 * every query run (`executed`: a statement compiled once and run again is counted each time, and
 * compiled only once).
 *
 * @example
 * const { plugin, kinds } = statementKinds();
 * await new OrderRepository(db.withPlugin(plugin), 'acct').commitBatch(items);
 * expect(kinds).toEqual(['RawNode']);
 */
export function statementKinds(): {
  plugin: KyselyPlugin;
  kinds: string[];
  executed: () => number;
} {
  const kinds: string[] = [];
  let executed = 0;
  return {
    kinds,
    executed: () => executed,
    plugin: {
      transformQuery: (a) => {
        kinds.push(a.node.kind);
        return a.node;
      },
      transformResult: (a) => {
        executed++;
        return Promise.resolve(a.result);
      },
    },
  };
}
