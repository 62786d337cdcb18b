#!/usr/bin/env node
// Compiles src/**/*.ts to dist/ (ESM, with source maps) so `kairos` starts without compiling
// TypeScript each time. esbuild only strips types (a second or so); `npm run typecheck` checks
// them. Run by `npm run setup` and `npm run build`; bin/kairos.js falls back to tsx when dist/
// is missing or older than a source file.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const entryPoints = readdirSync(src, { recursive: true })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(src, f));
rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints,
  outdir: dist,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
writeFileSync(path.join(dist, '.built'), `${new Date().toISOString()}\n`);
process.stdout.write(`kairos: built ${entryPoints.length} files into dist/\n`);
