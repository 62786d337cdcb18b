import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts the worker module `name` (no suffix) that lies beside the module at `from` (its
 * `import.meta.url`). Built (dist/): the worker's JavaScript file. From the TypeScript sources
 * (tests, `tsx`): the built worker of the same module in dist/ while dist/ is current
 * (`builtWorker`), as a `kairos` process would run it; else the worker registers tsx first (a
 * worker does not inherit the loader of the thread that starts it), ~0.5 s of CPU a thread.
 *
 * @example
 * const worker = startWorker(import.meta.url, 'compaction-worker', job);
 */
export function startWorker(
  from: string,
  name: string,
  workerData: unknown,
  /** The thread's heap limits (a strategy's thread: a leak ends the thread, not the process). */
  resourceLimits?: ResourceLimits,
): Worker {
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const built = builtWorker(from, name);
  if (built) return new Worker(built, options);
  const tsx = createRequire(from)
    .resolve('tsx/package.json')
    .replace(/package\.json$/, 'dist/esm/api/index.mjs');
  const entry = new URL(`./${name}.ts`, from).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { ...options, eval: true });
}

// This file is src/trading/venues/start-worker.ts: the checkout's root is three folders up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Whether dist/ was built from the sources as they are, by root (once a module load). */
const current = new Map<string, boolean>();

/**
 * The built worker (dist/) of the source worker `name` beside `from`, when dist/ is what
 * `npm run build` makes of the sources as they are, as `bin/kairos.js` decides: its `.built`
 * stamp newer than every `.ts` file under src/, and dist/vendor/ built on the packages installed
 * now (npm's hidden lockfile unchanged since the build; anything else: not current). Else null.
 */
export function builtWorker(from: string, name: string, root: string = ROOT): URL | null {
  const src = path.join(root, 'src');
  const file = fileURLToPath(new URL(`./${name}.ts`, from));
  if (!file.startsWith(src + path.sep)) return null;
  const built = path.join(root, 'dist', path.relative(src, file)).replace(/\.ts$/, '.js');
  if (!current.has(root)) current.set(root, distIsCurrent(root));
  return current.get(root)! && existsFile(built) ? pathToFileURL(built) : null;
}

function distIsCurrent(root: string): boolean {
  try {
    const stamp = statSync(path.join(root, 'dist', '.built')).mtimeMs;
    const { install } = JSON.parse(
      readFileSync(path.join(root, 'dist', 'vendor', 'packages.json'), 'utf8'),
    ) as { install: string | null };
    const lock = statSync(path.join(root, 'node_modules', '.package-lock.json'));
    return (
      install === `${lock.mtimeMs}:${lock.size}` && !editedSince(path.join(root, 'src'), stamp)
    );
  } catch {
    return false;
  }
}

/** Whether a `.ts` file under `dir` changed after `ms` (folder by folder: ~5 ms for src/). */
function editedSince(dir: string, ms: number): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() ? editedSince(p, ms) : e.name.endsWith('.ts') && statSync(p).mtimeMs > ms)
      return true;
  }
  return false;
}

function existsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
