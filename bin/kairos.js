#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run setup` / `npm run build`) when it is at least
// as new as every source file and its vendored packages (dist/vendor/) are the installed ones;
// otherwise (a fresh edit, no build, an upgraded package, KAIROS_DEV=1) the TypeScript sources
// through tsx, so an edit or an install never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { vendorIsCurrent } from './vendor-current.mjs';

// Stack traces name the TypeScript files (ours from dist's maps, a strategy's from its bundle).
process.setSourceMapsEnabled(true);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function builtIsFresh() {
  if (process.env.KAIROS_DEV === '1') return false;
  let built;
  try {
    built = statSync(path.join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return false;
  }
  return !editedSince(path.join(root, 'src'), built) && vendorIsCurrent(root);
}

/**
 * Whether a `.ts` file under `dir` changed after `ms`. Walked folder by folder: Node 20's
 * `readdirSync(…, { recursive: true })` spent ~30 ms of each command's CPU listing src/, this
 * ~5 ms.
 */
function editedSince(dir, ms) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() ? editedSince(p, ms) : e.name.endsWith('.ts') && statSync(p).mtimeMs > ms)
      return true;
  }
  return false;
}

if (builtIsFresh()) {
  await import(pathToFileURL(path.join(root, 'dist', 'cli', 'main.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'src', 'cli', 'main.ts')).href);
}
