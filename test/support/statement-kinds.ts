import type { KyselyPlugin } from 'kysely';

/**
 * A kysely plugin that records the kind of every query it sees (`RawNode` for a `sql` template,
 * `InsertQueryNode`…), to tell one statement from a transaction of several.
 *
 * @example
 * const { plugin, kinds } = statementKinds();
 * await new OrderRepository(db.withPlugin(plugin), 'acct').commitBatch(items);
 * expect(kinds).toEqual(['RawNode']);
 */
export function statementKinds(): { plugin: KyselyPlugin; kinds: string[] } {
  const kinds: string[] = [];
  return {
    kinds,
    plugin: {
      transformQuery: (a) => {
        kinds.push(a.node.kind);
        return a.node;
      },
      transformResult: (a) => Promise.resolve(a.result),
    },
  };
}
