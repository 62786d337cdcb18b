import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { openStore } from '../../../src/store/open-store.js';
import { loadConfig } from '../../../src/system/config.js';
import { pgliteFolderTemplate } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * A database holding a mark no initdb makes, so the test can tell where a store came from: as a
 * closed data folder (`folder`) and as its dump (`file`), made by one PGlite start on a copy of
 * the suite's own template folder when there is one (initdb costs seconds of CPU; unpacking a
 * dump, half a second more than opening a copy).
 */
async function markedTemplates(folder: string, file: string): Promise<void> {
  const base = pgliteFolderTemplate().template;
  const fromDump = base !== undefined && !statSync(base).isDirectory();
  if (base !== undefined && !fromDump) cpSync(base, folder, { recursive: true });
  const lite = await PGlite.create({
    dataDir: folder,
    ...(fromDump ? { loadDataDir: new Blob([readFileSync(base)]) } : {}),
  });
  await lite.exec(
    "create table template_mark (note text); insert into template_mark values ('from the dump')",
  );
  const dump = await lite.dumpDataDir('none');
  await lite.close();
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
}

const marks = async (s: Awaited<ReturnType<typeof openStore>>) =>
  (
    await sql<{
      n: number;
    }>`select count(*)::int as n from pg_tables where tablename = 'template_mark'`.execute(s.db)
  ).rows[0]!.n;

describe('KAIROS_PGLITE_TEMPLATE: a new embedded database starts from a dump', () => {
  const dir = tempDir('kairos-template-');
  const file = path.join(dir, 'template.tar');
  const folder = path.join(dir, 'template.d');
  beforeAll(async () => {
    await markedTemplates(folder, file);
  }, 120_000);

  it('a new data folder starts from the dump, migrated; the next open keeps its own rows', async () => {
    const dataDir = path.join(dir, 'db');
    const s = await openStore({ dataDir, template: file });
    expect(await marks(s)).toBe(1);
    // Migrations ran after the dump, as after initdb.
    const migrated = await sql<{
      n: number;
    }>`select count(*)::int as n from kysely_migration`.execute(s.db);
    expect(migrated.rows[0]!.n).toBeGreaterThan(5);
    await sql`create table kept (x int)`.execute(s.db);
    await sql`insert into kept values (42)`.execute(s.db);
    await s.close();
    const again = await openStore({ dataDir, template: file });
    const kept = await sql<{ x: number }>`select x from kept`.execute(again.db);
    expect(kept.rows).toEqual([{ x: 42 }]);
    await again.close();
  }, 120_000);

  it('an existing database is never replaced by the dump', async () => {
    const dataDir = path.join(dir, 'plain');
    const s = await openStore({ dataDir, ...pgliteFolderTemplate() });
    expect(await marks(s)).toBe(0);
    await s.close();
    const again = await openStore({ dataDir, template: file });
    expect(await marks(again)).toBe(0);
    await again.close();
  }, 120_000);

  it('in memory too', async () => {
    const s = await openStore({ template: file });
    expect(await marks(s)).toBe(1);
    await s.close();
  }, 120_000);

  it('a setting that names no file is refused at start, naming the setting', () => {
    expect(() => loadConfig({ KAIROS_PGLITE_TEMPLATE: path.join(dir, 'missing.tar') })).toThrow(
      /^KAIROS_PGLITE_TEMPLATE: must be an existing file/,
    );
    expect(loadConfig({ KAIROS_PGLITE_TEMPLATE: file }).pgliteTemplate).toBe(file);
    expect(loadConfig({ KAIROS_PGLITE_TEMPLATE: dir }).pgliteTemplate).toBe(dir);
  });

  // `folder`: the marked database as a closed data folder (made with the dump, above).
  describe('a closed data folder as the template', () => {
    it('a new data folder is a copy of it, migrated; the template is left as it was', async () => {
      const before = readdirSync(folder, { recursive: true }).length;
      const dataDir = path.join(dir, 'copied');
      const s = await openStore({ dataDir, template: folder });
      expect(await marks(s)).toBe(1);
      await sql`create table only_here (x int)`.execute(s.db);
      await s.close();
      expect(readdirSync(folder, { recursive: true }).length).toBe(before);
      const other = await openStore({ dataDir: path.join(dir, 'copied-2'), template: folder });
      expect(await marks(other)).toBe(1);
      const here = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_tables where tablename = 'only_here'`.execute(other.db);
      expect(here.rows[0]!.n).toBe(0);
      await other.close();
    }, 120_000);

    it('a copy cut short (no PG_VERSION yet) is copied over at the next open', async () => {
      const dataDir = path.join(dir, 'cut-short');
      mkdirSync(path.join(dataDir, 'base'), { recursive: true });
      writeFileSync(path.join(dataDir, 'postgresql.conf'), 'half written');
      const s = await openStore({ dataDir, template: folder });
      expect(await marks(s)).toBe(1);
      await s.close();
    }, 120_000);

    it('is refused for a database in memory, naming the template and the rule', async () => {
      await expect(openStore({ template: folder })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('an in-memory database needs a dump (tar)'),
      });
    });
  });
});
