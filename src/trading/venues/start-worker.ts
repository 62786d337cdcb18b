import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` (no suffix) that lies beside the module at `from` (its
 * `import.meta.url`). Built (dist/): the worker's JavaScript file. From the TypeScript sources
 * (tests, `tsx`): the worker registers tsx first (a worker does not inherit the loader of the
 * thread that starts it), which costs it ~100 ms of start-up.
 *
 * @example
 * const worker = startWorker(import.meta.url, 'compaction-worker', job);
 */
export function startWorker(from: string, name: string, workerData: unknown): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), { workerData });
  const tsx = createRequire(from)
    .resolve('tsx/package.json')
    .replace(/package\.json$/, 'dist/esm/api/index.mjs');
  const entry = new URL(`./${name}.ts`, from).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData });
}
