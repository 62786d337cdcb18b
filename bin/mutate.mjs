#!/usr/bin/env node
// `npm run mutate`: mutation testing of the core, one StrykerJS run per folder (docs/testing.md).
//
// One run over all the folders type-checks the whole project for every mutant and lets Jest
// look for the tests of a mutant among every unit test; on a 2-core machine that is hours. Here
// each folder gets its own run, with what makes it cheap and still complete:
// - the TypeScript checker starts from that folder only (a generated tsconfig that extends the
//   project's and includes `src/<folder>`), so a mutant re-checks a handful of files;
// - Jest's `testMatch` is every unit test whose imports reach the folder, directly or through
//   other modules (`trading/core`'s metrics are tested through `src/monitoring`, under
//   `test/unit/monitoring`), plus the folder's mirror in `test/unit`;
// - a mutant's run loads only the test files that hold the tests covering it (Stryker passes
//   their names; `bin/mutate/test-files.mjs` knows their files from the dry run), not every
//   test file related to the mutated file;
// - its own reports under `reports/mutation/<folder>/`, and its incremental file, committed, in
//   `test/mutation/<folder>.json`: a fresh clone's run tests only the mutants whose code or
//   covering tests changed since the run that wrote it.
// At the end: one line per folder with its score, pass or fail against 90 %, and a merged
// `reports/mutation/mutation.json` / `mutation.html`; the exit code is non-zero when a folder is
// below 90 % or its run failed.
//
//   npm run mutate                                   # every folder, incremental
//   npm run mutate -- trading/risk security/totp     # a subset, in that order
//   npm run mutate -- --concurrency 1                # test runners (default: the config's)
//   npm run mutate -- --list                         # which tests each folder runs, no run
//   npm run mutate -- --figures                      # the last scores as docs/testing.md's table
//   npm run mutate -- trading/risk -- --force        # after `--`: passed to every Stryker run
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 90;
const { default: base } = await import(pathToFileURL(path.join(root, 'stryker.config.mjs')).href);
// The folders of the config's `mutate`: a glob's path up to its first pattern
// (`src/trading/core/**/*.ts` is `trading/core`; `src/trading/backtest/{a,b}.ts`, some files
// of a folder, is `trading/backtest`), and each folder's glob.
function folderOf(glob) {
  const parts = glob.replace(/^src\//, '').split('/');
  const first = parts.findIndex((part) => /[*?{[]/.test(part));
  return parts.slice(0, first === -1 ? parts.length - 1 : first).join('/');
}
const GLOBS = new Map(base.mutate.map((glob) => [folderOf(glob), glob]));
export const FOLDERS = [...GLOBS.keys()];

function usage(message) {
  if (message) console.error(`mutate: ${message}`);
  console.error(
    `usage: npm run mutate -- [folder ...] [--concurrency N] [--list] [-- stryker options]\nfolders: ${FOLDERS.join(', ')}`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const passThrough = dash === -1 ? [] : argv.slice(dash + 1);
  const folders = [];
  let concurrency;
  let list = false;
  let figures = false;
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    if (arg === '--list') list = true;
    else if (arg === '--figures') figures = true;
    else if (arg === '--concurrency' || arg.startsWith('--concurrency=')) {
      const value = arg.includes('=') ? arg.split('=')[1] : own[++i];
      concurrency = Number(value);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        usage(`--concurrency must be a whole number ≥ 1, got ${value}`);
    } else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else {
      const folder = arg.replace(/^src\//, '').replace(/\/+$/, '');
      if (!FOLDERS.includes(folder)) usage(`unknown folder ${arg}`);
      folders.push(folder);
    }
  }
  return { folders: folders.length ? folders : FOLDERS, concurrency, list, figures, passThrough };
}

// ---- which unit tests cover a folder: a scan of relative imports ----

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|import\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const importsOf = new Map();

/** The project files a file imports with a relative specifier (`./x.js` is `./x.ts`). */
function imports(file) {
  let found = importsOf.get(file);
  if (found) return found;
  found = [];
  importsOf.set(file, found);
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = path.resolve(path.dirname(file), m[1] ?? m[2] ?? m[3]);
    const hit = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`].find(
      (c) => /\.(ts|mts|js|mjs)$/.test(c) && existsSync(c) && statSync(c).isFile(),
    );
    if (hit) found.push(hit);
  }
  return found;
}

const rel = (file) => path.relative(root, file).split(path.sep).join('/');

/** Every project file a test file reaches through its imports, transitively. */
function reached(testFile) {
  const seen = new Set();
  const stack = [testFile];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...imports(file));
  }
  return [...seen].map(rel);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? walk(path.join(dir, e.name))
      : e.name.endsWith('.test.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

// Tests that read the source text rather than run it: in Stryker's sandbox the source is
// instrumented (every file reads process.env for the active mutant), so they fail there.
const SOURCE_SCANS = ['test/unit/system/config-readers.test.ts'];

export function testsFor(folder) {
  const mirror = `test/unit/${folder}/`;
  const prefix = `src/${folder}/`;
  return walk(path.join(root, 'test/unit'))
    .filter((t) => rel(t).startsWith(mirror) || reached(t).some((f) => f.startsWith(prefix)))
    .map(rel)
    .filter((t) => !SOURCE_SCANS.includes(t))
    .sort();
}

// ---- one Stryker run per folder ----

const slug = (folder) => folder.replaceAll('/', '-');
const dirOf = (folder) => path.join(root, 'reports/mutation', slug(folder));
/** A folder's incremental file, kept in git (docs/testing.md, "Baselines"). */
const baselineOf = (folder) => path.join(root, 'test/mutation', `${slug(folder)}.json`);

// ---- what an earlier run killed before its end left behind ----

// A run writes its pid here while it works on a folder; a file whose process is gone marks
// leftovers of a killed run (its sandbox and its checker tsconfig).
const lockOf = (folder) => path.join(root, '.stryker-tmp', `${slug(folder)}.pid`);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Whether another `npm run mutate` still works on `folder` in this checkout. */
function busy(folder) {
  const file = lockOf(folder);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8'));
  return Number.isInteger(pid) && pid !== process.pid && alive(pid);
}

/**
 * Removes the Stryker sandbox (`.stryker-tmp/<folder>`) and checker tsconfig
 * (`tsconfig.mutate-<folder>.json`) that a killed run left, for every folder no live run works
 * on. Stryker removes its sandbox only when it ends by itself; a killed run's sandboxes (a copy
 * of the project each) pile up beside the next run's, and its tsconfig stays in the checkout.
 * Returns what it removed.
 */
export function removeStale() {
  const removed = [];
  for (const folder of FOLDERS) {
    if (busy(folder)) continue;
    for (const stale of [
      path.join(root, '.stryker-tmp', slug(folder)),
      path.join(root, `tsconfig.mutate-${slug(folder)}.json`),
      lockOf(folder),
    ]) {
      if (!existsSync(stale)) continue;
      rmSync(stale, { recursive: true, force: true });
      removed.push(rel(stale));
    }
  }
  return removed;
}

function configFor(folder, concurrency) {
  const dir = dirOf(folder);
  // The checker's tsconfig must be in the sandbox Stryker copies, which leaves out reports/.
  const tsconfig = `tsconfig.mutate-${slug(folder)}.json`;
  writeFileSync(
    path.join(root, tsconfig),
    `${JSON.stringify({ extends: './tsconfig.json', include: [`src/${folder}`] }, null, 2)}\n`,
  );
  const tests = testsFor(folder);
  const config = {
    ...base,
    mutate: [GLOBS.get(folder)],
    concurrency: concurrency ?? base.concurrency,
    tsconfigFile: tsconfig,
    jest: {
      ...base.jest,
      config: {
        ...base.jest.config,
        testMatch: tests.map((t) => `<rootDir>/${t}`),
        testSequencer: '<rootDir>/bin/mutate/sequencer.mjs',
        setupFilesAfterEnv: ['<rootDir>/bin/mutate/record-tests.mjs'],
      },
      // The sequencer picks the files of a mutant's tests (bin/mutate/test-files.mjs).
      enableFindRelatedTests: false,
    },
    dryRunTimeoutMinutes: 30,
    incrementalFile: rel(baselineOf(folder)),
    htmlReporter: { fileName: rel(path.join(dir, 'mutation.html')) },
    jsonReporter: { fileName: rel(path.join(dir, 'mutation.json')) },
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    tempDirName: `.stryker-tmp/${slug(folder)}`,
  };
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.dirname(baselineOf(folder)), { recursive: true });
  const file = path.join(dir, 'stryker.config.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return { file, tsconfig, tests };
}

function stryker(configFile, passThrough) {
  return new Promise((resolve) => {
    const cli = path.join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js');
    const child = spawn(process.execPath, [cli, 'run', configFile, ...passThrough], {
      cwd: root,
      stdio: 'inherit',
    });
    child.on('error', () => resolve(1));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const COUNTED = ['Killed', 'Timeout', 'Survived', 'NoCoverage'];

/** Counts of a JSON report's mutants by status, over the files under `src/<folder>/`. */
export function tally(report, folder) {
  const counts = {
    Killed: 0,
    Timeout: 0,
    Survived: 0,
    NoCoverage: 0,
    CompileError: 0,
    RuntimeError: 0,
    Ignored: 0,
  };
  for (const [file, { mutants }] of Object.entries(report.files)) {
    if (!rel(path.resolve(root, file)).startsWith(`src/${folder}/`)) continue;
    for (const m of mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  }
  const counted = COUNTED.reduce((n, s) => n + counts[s], 0);
  const score = counted === 0 ? null : (100 * (counts.Killed + counts.Timeout)) / counted;
  return { ...counts, score };
}

function readReport(folder) {
  const file = path.join(dirOf(folder), 'mutation.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** One report for the HTML viewer over every folder that has one. */
function merge() {
  const reports = FOLDERS.map(readReport).filter(Boolean);
  if (reports.length === 0) return;
  const merged = { ...reports[0], files: {}, testFiles: {} };
  for (const r of reports) {
    Object.assign(merged.files, r.files);
    Object.assign(merged.testFiles, r.testFiles ?? {});
  }
  const out = path.join(root, 'reports/mutation');
  writeFileSync(path.join(out, 'mutation.json'), JSON.stringify(merged));
  const html = path.join(dirOf(FOLDERS.find((f) => readReport(f))), 'mutation.html');
  if (existsSync(html)) {
    // The viewer embeds its report: swap in the merged one.
    const page = readFileSync(html, 'utf8');
    const at = page.indexOf('const app = document.getElementsByTagName');
    if (at !== -1) {
      const head = page.slice(0, at);
      const tail = page.slice(page.indexOf('\n', page.indexOf('app.report =', at)) + 1);
      writeFileSync(
        path.join(out, 'mutation.html'),
        `${head}const app = document.getElementsByTagName('mutation-test-report-app').item(0);\n      app.report = ${JSON.stringify(merged).replace(/</g, '\\u003c')};\n${tail}`,
      );
    }
  }
}

/** The docs' table (docs/testing.md) from each folder's last `summary.json`. */
function figuresTable(folders) {
  const rows = [
    '| folder | score | killed | timed out | survived | no coverage | not compiled | excluded | run (UTC) | took |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const folder of folders) {
    const file = path.join(dirOf(folder), 'summary.json');
    if (!existsSync(file)) {
      rows.push(`| \`${folder}\` | not measured | | | | | | | | |`);
      continue;
    }
    const { at, ms, code, counts: c } = JSON.parse(readFileSync(file, 'utf8'));
    if (!c) {
      rows.push(
        `| \`${folder}\` | run failed (exit ${code}) | | | | | | | ${at.slice(0, 16).replace('T', ' ')} | ${minutes(ms)} |`,
      );
      continue;
    }
    const score = c?.score == null ? 'n/a' : `${c.score.toFixed(1)} %`;
    rows.push(
      `| \`${folder}\` | ${score} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ` +
        `${c.CompileError} | ${c.Ignored} | ${at.slice(0, 16).replace('T', ' ')} | ${minutes(ms)} |`,
    );
  }
  return rows.join('\n');
}

const pad = (s, n) => String(s).padEnd(n);
const minutes = (ms) => `${(ms / 60000).toFixed(1)} min`;

async function main() {
  const { folders, concurrency, list, figures, passThrough } = parseArgs(process.argv.slice(2));
  if (figures) {
    console.log(figuresTable(folders));
    return 0;
  }
  if (list) {
    for (const folder of folders) {
      const tests = testsFor(folder);
      console.log(`${folder} (${tests.length} test files)\n  ${tests.join('\n  ')}`);
    }
    return 0;
  }
  const stale = removeStale();
  if (stale.length) console.log(`mutate: removed what a killed run left: ${stale.join(', ')}`);
  for (const folder of folders) {
    if (busy(folder)) {
      console.error(`mutate: another run works on src/${folder} (${rel(lockOf(folder))})`);
      return 2;
    }
  }
  const results = [];
  let interrupted = false;
  // Ctrl-C stops Stryker (it gets the signal too); end after it, without the next folders.
  process.on('SIGINT', () => (interrupted = true));
  for (const folder of folders) {
    if (interrupted) break;
    mkdirSync(path.dirname(lockOf(folder)), { recursive: true });
    writeFileSync(lockOf(folder), String(process.pid));
    const { file, tsconfig, tests } = configFor(folder, concurrency);
    console.log(`\nmutate: src/${folder}: ${tests.length} test files, config ${rel(file)}`);
    const started = Date.now();
    let code;
    try {
      code = await stryker(file, passThrough);
    } finally {
      rmSync(path.join(root, tsconfig), { force: true });
      rmSync(lockOf(folder), { force: true });
    }
    const ms = Date.now() - started;
    const report = readReport(folder);
    const counts = code === 0 && report ? tally(report, folder) : null;
    results.push({ folder, ms, code, counts, at: new Date(started).toISOString() });
    writeFileSync(
      path.join(dirOf(folder), 'summary.json'),
      `${JSON.stringify(results.at(-1), null, 2)}\n`,
    );
  }
  merge();
  console.log(
    '\nmutation score per folder (target ≥ 90 %; killed + timed out of killed, timed out, survived, no coverage):',
  );
  let failed = false;
  for (const { folder, ms, code, counts } of results) {
    let verdict;
    if (!counts) verdict = `FAIL  the Stryker run failed (exit ${code})`;
    else if (counts.score === null) verdict = `pass  no mutant counted`;
    else {
      const ok = counts.score >= TARGET;
      verdict =
        `${ok ? 'pass' : 'FAIL'}  ${counts.score.toFixed(1).padStart(5)} %  ` +
        `killed ${counts.Killed}, timed out ${counts.Timeout}, survived ${counts.Survived}, no coverage ${counts.NoCoverage}`;
    }
    if (!verdict.startsWith('pass')) failed = true;
    console.log(`  ${pad(`src/${folder}`, 24)} ${verdict}  (${minutes(ms)})`);
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await main());
