import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtWorker } from '../../../../src/trading/venues/start-worker.js';
import { tempDir } from '../../../support/temp-dir.js';

const base = tempDir('kairos-built-worker-');
let n = 0;
const T = Date.UTC(2026, 0, 1) / 1000;

/**
 * A checkout: src/a/job.ts and its worker, dist/ built from them at T + 10 s (`.built`), its
 * vendor bundles recorded on the lockfile as installed, every source written at T.
 */
function checkout() {
  const root = path.join(base, `c${++n}`);
  const put = (rel: string, text: string, at: number) => {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    utimesSync(p, at, at);
    return p;
  };
  put('src/a/job.ts', '', T);
  put('src/a/job-worker.ts', '', T);
  put('src/b/other.ts', '', T);
  put('dist/a/job-worker.js', '', T + 10);
  const lock = put('node_modules/.package-lock.json', '{}', T);
  const s = statSync(lock);
  put('dist/vendor/packages.json', JSON.stringify({ install: `${s.mtimeMs}:${s.size}` }), T + 10);
  put('dist/.built', 'x', T + 10);
  const from = pathToFileURL(path.join(root, 'src/a/job.ts')).href;
  return { root, put, from };
}

describe('builtWorker: a source worker started from its build while dist/ is current', () => {
  it('answers the build of the same module while dist/ is newer than every source', () => {
    const { root, from } = checkout();
    expect(builtWorker(from, 'job-worker', root)?.href).toBe(
      pathToFileURL(path.join(root, 'dist/a/job-worker.js')).href,
    );
  });

  it('answers null (tsx) when any source changed since the build, the worker or another', () => {
    const a = checkout();
    a.put('src/b/other.ts', 'edited', T + 20);
    expect(builtWorker(a.from, 'job-worker', a.root)).toBeNull();
    const b = checkout();
    b.put('src/a/job-worker.ts', 'edited', T + 20);
    expect(builtWorker(b.from, 'job-worker', b.root)).toBeNull();
  });

  it('answers null after an install since the build, without a build or without the module', () => {
    const a = checkout();
    a.put('node_modules/.package-lock.json', '{"changed":1}', T + 20);
    expect(builtWorker(a.from, 'job-worker', a.root)).toBeNull();
    const b = checkout();
    b.put('dist/.built', 'x', T - 10);
    expect(builtWorker(b.from, 'job-worker', b.root)).toBeNull();
    const c = checkout();
    expect(builtWorker(c.from, 'no-such-worker', c.root)).toBeNull();
    // A module outside the checkout's src/ has no build there.
    const d = checkout();
    d.put('elsewhere/job.ts', '', T);
    const outside = pathToFileURL(path.join(d.root, 'elsewhere/job.ts')).href;
    expect(builtWorker(outside, 'job-worker', d.root)).toBeNull();
  });
});
