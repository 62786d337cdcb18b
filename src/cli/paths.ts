import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The charting library inlined into `report.html` (lightweight-charts, standalone build). */
export async function chartLibrarySource(): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('lightweight-charts/package.json');
  return readFile(
    path.join(path.dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js'),
    'utf8',
  );
}
