import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../../../src/system/config.js';
import { ROOT } from '../../support/run-cli.js';

/** Every .ts file under src/, relative to the repository root. */
function sources(): string[] {
  return (readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('src', f));
}

// `process.env`, `process['env']`, `const { env } = process`, and commander's `.env('NAME')`.
const READS_ENV =
  /process\s*(?:\.\s*env\b|\[\s*['"`]env['"`]\s*\])|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b|\.env\(\s*['"`]/;

describe('one Config reads the environment', () => {
  it('src/cli/cli-config.ts is the only file of src/ that reads it', () => {
    const readers = sources().filter((f) =>
      READS_ENV.test(readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(readers).toEqual([path.join('src', 'cli', 'cli-config.ts')]);
  });

  it('the scan finds each way of reading it', () => {
    for (const code of [
      'const a = process.env.FOO;',
      "const a = process['env'];",
      'const { env } = process;',
      "new Option('--x <y>').env('FOO')",
    ])
      expect(READS_ENV.test(code)).toBe(true);
    expect(READS_ENV.test('const environment = config.exchange;')).toBe(false);
  });

  it('docs/configuration.md has one row for each setting, and no other', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(SETTINGS.map((s) => s.variable).sort());
  });
});
