import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  PostgresDialect,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';

/**
 * Postgres whose introspection (what kysely's migrator asks before it migrates) sees only the
 * connection's own schema, by catalog ids. Kysely's own introspector reads every schema of the
 * database and looks each up again by name, so another tenant's schema dropped meanwhile failed
 * our migration with "schema … does not exist".
 */
export class OneSchemaDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's own signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OneSchemaIntrospector(db);
  }
}

class OneSchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's own signature
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return r.rows.filter((s) => s.name !== null);
  }

  /** The tables and views of the current schema, without their columns (nobody reads them). */
  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ schema: string; name: string; kind: string }>`
      select n.nspname as schema, c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'm')
      order by c.relname`.execute(this.db);
    return r.rows.map((t) => ({
      schema: t.schema,
      name: t.name,
      isView: t.kind === 'v' || t.kind === 'm',
      columns: [],
    }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
