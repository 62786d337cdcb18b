#!/usr/bin/env node
// `npm test`: Jest, and beside it (one after another, on the core Jest leaves idle while its
// workers wait on servers and databases) the static checks: types, lint and format, import
// rules. Their output is held and printed after Jest's; any failure fails the run.
// Arguments go to Jest (`npm test -- test/unit`).
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const CHECKS = [
  ['types', bin('tsc'), ['--noEmit']],
  ['types (infra/cdk)', bin('tsc'), ['--noEmit', '-p', 'infra/cdk']],
  ['lint', bin('eslint'), ['.']],
  ['format', bin('prettier'), ['--check', '.']],
  ['import rules', bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs']],
];

/** Runs a command; resolves with its exit code and (when `hold`) what it printed. */
function run(cmd, args, hold, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: hold ? 'pipe' : 'inherit' });
    let out = '';
    if (hold) {
      child.stdout.on('data', (b) => (out += b));
      child.stderr.on('data', (b) => (out += b));
    }
    child.on('error', (e) => resolve({ code: 1, out: `${out}${e.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

async function staticChecks() {
  const failed = [];
  for (const [name, cmd, args] of CHECKS) {
    const started = Date.now();
    const { code, out } = await run(cmd, args, true);
    const s = ((Date.now() - started) / 1000).toFixed(1);
    if (code !== 0) failed.push({ name, out });
    process.stderr.write(`static check ${name}: ${code === 0 ? 'passed' : 'FAILED'} (${s} s)\n`);
  }
  return failed;
}

// `--liftoff-only` (inherited by Jest's workers): PGlite's WebAssembly runs on V8's baseline
// compiler only. A test file's databases live seconds, and the optimising tier's compiles of
// Postgres's large functions cost more CPU than they save (measured: 9-25 % less CPU per file,
// the 2,000-request floods included; docs/testing.md, "Test suite time").
// The tests' temporary folders (homes, data folders, stores: hundreds a run) go to a folder of
// this run in memory (/dev/shm) when there is one, removed at the end. On a disk mounted with
// `discard` (this machine's ext4), deleting a folder a database wrote blocks for 0.2-1.7 s; in
// memory it takes milliseconds. The PGlite template and Jest's cache stay in the usual temp folder,
// kept between runs.
const usualTmp = os.tmpdir();
const runTmp = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    const dir = mkdtempSync(path.join('/dev/shm', 'kairos-test-'));
    // As /tmp: a server a test runs as another user (Postgres as `postgres`) reaches its folder.
    chmodSync(dir, 0o1777);
    return dir;
  } catch {
    return null;
  }
})();
// Interrupted (Ctrl-C): the run's folder goes too (Jest's workers get the signal themselves).
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    if (runTmp) rmSync(runTmp, { recursive: true, force: true });
    process.exit(130);
  });
// `--max-semi-space-size=64` (MB; V8's default is 16 on 64-bit): a test file allocates hundreds
// of MB of short-lived objects (modules evaluated again per file, servers, stores), and with the
// small default the young generation is collected far more often than it needs to be. Six heavy
// files in one Jest process, interleaved: 45.2-49.5 CPU s at the default, 38.7-41.1 at 64 (39.9
// at 32, 41.7 at 128); docs/testing.md, "Test suite time".
const jest = run(
  process.execPath,
  [
    '--liftoff-only',
    '--max-semi-space-size=64',
    '--experimental-vm-modules',
    path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--maxWorkers=3',
    `--cacheDirectory=${path.join(usualTmp, 'jest-kairos')}`,
    // Each test file leaves ~15-20 MB in its worker's heap (what keeps it is not found yet), and
    // a file's CPU grows with that heap (GC): a worker is replaced once its heap passes 400 MB
    // after a file (docs/testing.md, "Test suite time").
    '--workerIdleMemoryLimit=400MB',
    ...process.argv.slice(2),
  ],
  false,
  runTmp ? { ...process.env, TMPDIR: runTmp, KAIROS_TEST_CACHE_DIR: usualTmp } : process.env,
);
const [failed, tests] = await Promise.all([staticChecks(), jest]);
if (runTmp) rmSync(runTmp, { recursive: true, force: true });
for (const f of failed) process.stderr.write(`\n--- static check failed: ${f.name} ---\n${f.out}`);
if (failed.length > 0)
  process.stderr.write(
    `\n${failed.length} static check(s) failed: ${failed.map((f) => f.name).join(', ')}\n`,
  );
process.exit(tests.code !== 0 || failed.length > 0 ? 1 : 0);
