#!/usr/bin/env node
// Compiles src/**/*.ts to dist/ (ESM, with source maps) so `kairos` starts without compiling
// TypeScript each time. esbuild only strips types (a second or so); `npm run typecheck` checks
// them. Run by `npm run setup` and `npm run build`; bin/kairos.js falls back to tsx when dist/
// is missing or older than a source file, or when an installed package differs from its
// vendored copy (dist/vendor/packages.json).
//
// Our own files stay one file each at the same paths (several find package.json, swagger-ui-dist
// or the strategy sources from `import.meta.url`). The heavy pure-JS packages they import are
// pre-bundled into dist/vendor/ instead (one entry per specifier we import, the code they share
// in split chunks, so one copy of each module and its singletons, e.g. TypeBox's registries),
// and dist/'s imports of those specifiers point there: `kairos serve` loads 36 vendor files
// instead of 1,723 files of node_modules, 0.8-0.9 s of CPU less a start (docs/benchmarks.md,
// "`kairos serve` start-up"). Lazy imports stay lazy: an `import()` of a vendor entry.
//
// Which packages: an explicit list (VENDORED), not "every bare specifier but a deny-list".
// Jest runs src/, on these vendored copies while they are the installed versions
// (test/support/vendor-resolver.mjs) and on node_modules otherwise, and a package's own imports
// always from node_modules: a new dependency that does not survive bundling (files found from
// its own folder, workers started from a path, a native addon) could break only in dist/ and
// under Jest after a build. So a new bare import
// fails this build until it is put in one list or the other (KEPT says why a package stays in
// node_modules), and test/e2e/vendor-build.test.ts checks dist/ imports no vendored
// package from node_modules.
import { execFileSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundled into dist/vendor/<specifier>.js. Lazy imports of them (`import()`) stay lazy. */
export const VENDORED = [
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-kms',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-s3',
  '@aws-sdk/lib-storage',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  '@fastify/rate-limit',
  '@fastify/swagger',
  '@fastify/type-provider-typebox',
  '@fastify/websocket',
  'big.js',
  'ccxt',
  'cli-progress',
  'cli-table3',
  'cockatiel',
  'commander',
  'fastify',
  'fastify-plugin',
  'fflate',
  'jsonwebtoken',
  'kysely',
  'memjs',
  'otplib',
  'pg',
  'prom-client',
  'pure-rand/distribution/uniformFloat64',
  'pure-rand/distribution/uniformInt',
  'pure-rand/generator/xoroshiro128plus',
  'typebox/compile',
  'winston',
  'ws',
];

/** Left in node_modules, and why. */
export const KEPT = {
  '@node-rs/argon2': 'a native addon',
  '@electric-sql/pglite': 'WebAssembly and data files found beside its own module',
  esbuild: 'a native binary found from its package',
  ioredis: 'finds its package.json (for CLIENT SETINFO) and trims stacks by __dirname',
};

/**
 * Lazy imports of CommonJS that bundle as they are, and why: the code reads only their
 * `default`, which the bundle does give.
 */
const DEFAULT_ONLY = [
  // OrderRouter.loadWebSocket: `loaded.default ?? loaded` (ccxt's own copy of ws)
  ['node_modules/ccxt/js/src/base/', 'ws'],
  // Exchange.loadExchangeSpecificFiles (mexc): `protobufMexc.default.PushDataV3ApiWrapper`
  ['node_modules/ccxt/js/src/base/', '../protobuf/mexc/compiled.cjs'],
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const vendor = path.join(dist, 'vendor');
const builtins = new Set(builtinModules);
const requireHere = createRequire(path.join(root, 'package.json'));

rmSync(dist, { recursive: true, force: true });
const vendorFiles = await buildVendor();
const entryPoints = readdirSync(src, { recursive: true })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(src, f));
const vendoredImports = await scanImports(entryPoints);
const { outputFiles } = await build({
  entryPoints,
  outdir: dist,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  write: false,
});
for (const file of outputFiles) {
  mkdirSync(path.dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.path.endsWith('.js') ? toVendor(file) : file.contents);
}
writeFileSync(path.join(dist, '.built'), `${new Date().toISOString()}\n`);
process.stdout.write(
  `kairos: built ${entryPoints.length} files into dist/, ${VENDORED.length} packages into ${vendorFiles} files of dist/vendor/\n`,
);

/**
 * Every file's imports of VENDORED specifiers (`dist/x.js` -> their specifiers, once per
 * import). esbuild shows a plugin the imports only when it bundles, so this pass bundles
 * (writing nothing, every import external) to see them, and refuses a package in neither list.
 */
async function scanImports(entries) {
  const found = new Map();
  await build({
    entryPoints: entries,
    outdir: dist,
    outbase: src,
    format: 'esm',
    platform: 'node',
    bundle: true,
    write: false,
    logLevel: 'warning',
    plugins: [
      {
        name: 'kairos-scan-imports',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            const spec = args.path;
            const ok = { path: spec, external: true };
            if (/^(\.|\/|node:)/.test(spec) || builtins.has(spec.split('/')[0])) return ok;
            if (VENDORED.includes(spec)) {
              const out = path
                .join(dist, path.relative(src, args.importer))
                .replace(/\.ts$/, '.js');
              (found.get(out) ?? found.set(out, []).get(out)).push(spec);
              return ok;
            }
            if (packageOf(spec) in KEPT || spec in KEPT) return ok;
            const text = `${spec}: a new package import; add it to VENDORED or KEPT in bin/build.mjs`;
            return { errors: [{ text }] };
          });
        },
      },
    ],
  });
  return found;
}

/**
 * A compiled file with its imports of VENDORED specifiers pointed at dist/vendor/. esbuild
 * prints every import as `from "x"` or `import("x")`; the count must be the scan's, so a
 * string that only looks like an import fails the build instead of being rewritten.
 */
function toVendor(file) {
  const want = vendoredImports.get(file.path) ?? [];
  let done = 0;
  const text = file.text.replace(/(\bfrom |\bimport\()"([^"\n]+)"/g, (all, head, spec) => {
    if (!VENDORED.includes(spec)) return all;
    done += 1;
    let rel = path.relative(path.dirname(file.path), path.join(vendor, `${spec}.js`));
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `${head}${JSON.stringify(rel.split(path.sep).join('/'))}`;
  });
  if (done !== want.length)
    throw new Error(
      `${path.relative(root, file.path)}: ${done} vendored imports rewritten, ${want.length} expected`,
    );
  return text;
}

/**
 * A package's `import('x')` of a CommonJS package stays an import, found from dist/vendor/ at
 * run time. Bundled, it would become a chunk exporting only `default` (esbuild cannot list a
 * CommonJS module's names), where Node gives the names too: ccxt's `(await import('undici'))
 * .request` was undefined. Loaded on first use as before, from the top-level node_modules (the
 * build fails if the package is only nested under another, where dist/vendor/ would not find it).
 */
function lazyCommonJs() {
  return {
    name: 'kairos-lazy-commonjs',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData === 'inner') return undefined;
        if (!args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        if (args.path.startsWith('node:') || builtins.has(args.path.split('/')[0]))
          return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'inner',
        });
        if (r.errors.length > 0 || r.external || !isCommonJs(r.path)) return undefined;
        const bare = !args.path.startsWith('.');
        const top = path.join(root, 'node_modules', packageOf(args.path)) + path.sep;
        if (bare && r.path.startsWith(top)) return { path: args.path, external: true };
        const from = path.relative(root, args.importer);
        if (
          DEFAULT_ONLY.some(([importer, spec]) => from.startsWith(importer) && spec === args.path)
        )
          return undefined;
        const text = `${args.path} (from ${from}): a lazy import of CommonJS that dist/vendor/ cannot leave to Node (a file of the package, or a nested copy)`;
        return { errors: [{ text }] };
      });
    },
  };
}

/** Whether Node loads `file` as CommonJS (its extension, else its package's `type`). */
function isCommonJs(file) {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type !== 'module';
    } catch {
      // no package.json here: the folder above
    }
  }
  return true;
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * One entry per ccxt exchange class, `ccxt/<id>` and `ccxt/pro/<id>` (dist/vendor/ccxt/<id>.js,
 * dist/vendor/ccxt/pro/<id>.js): the default export of ccxt's own module of that class, the one
 * its index imports for `ccxt[id]` and `ccxt.pro[id]`. src/trading/venues/ccxt/exchange-modules.ts
 * loads the one a venue needs: ~0.15 s of CPU where all of ccxt (dist/vendor/ccxt.js, 14 MB, every
 * exchange) takes ~0.5 s. Bundled with the other entries, they share their chunks with
 * dist/vendor/ccxt.js: one copy of ccxt's base classes and errors in a process that loads both.
 * ccxt's `exports` offer no subpaths: the entries import the files by path.
 */
function ccxtExchangeEntries(ccxt, stubs) {
  const modules = path.join(path.dirname(requireHere.resolve('ccxt')), '..', 'js', 'src');
  const entries = {};
  for (const [kind, ids] of [
    ['', ccxt.rest],
    ['pro/', ccxt.pro],
  ]) {
    for (const id of ids) {
      const file = path.join(stubs, 'ccxt', `${kind}${id}.mjs`);
      mkdirSync(path.dirname(file), { recursive: true });
      const target = path.join(modules, `${kind}${id}.js`);
      writeFileSync(file, `export { default } from ${JSON.stringify(target)};\n`);
      entries[`ccxt/${kind}${id}`] = file;
    }
  }
  return entries;
}

/**
 * Bundles VENDORED into dist/vendor/. Each entry re-exports what Node's own `import` of the
 * specifier gives (its namespace's names, read in a child process: a CommonJS package's
 * named exports are what Node's lexer finds, which esbuild cannot know statically).
 */
async function buildVendor() {
  const { names, ccxt } = JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const names = {};
         for (const s of ${JSON.stringify(VENDORED)}) names[s] = Object.keys(await import(s));
         const { exchanges, pro } = (await import('ccxt')).default;
         const ccxt = { rest: exchanges, pro: pro.exchanges };
         process.stdout.write(JSON.stringify({ names, ccxt }));`,
      ],
      { cwd: root, encoding: 'utf8' },
    ),
  );
  // Entry files on disk, under node_modules so that they resolve packages as dist/ would, and
  // .mjs so that esbuild gives a CommonJS package's `default` as Node does (module.exports).
  const stubs = path.join(root, 'node_modules', '.cache', 'kairos-vendor');
  rmSync(stubs, { recursive: true, force: true });
  const entries = {};
  for (const spec of VENDORED) {
    const ids = names[spec].filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
    const file = path.join(stubs, `${spec.replaceAll('/', '+')}.mjs`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `export { ${ids.join(', ')} } from ${JSON.stringify(spec)};\n`);
    entries[spec] = file;
  }
  Object.assign(entries, ccxtExchangeEntries(ccxt, stubs));
  const result = await build({
    entryPoints: entries,
    outdir: vendor,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // As Node resolves: no `module` condition or field (esbuild's defaults would pick some
    // packages' browser-minded ESM builds over what Node runs).
    conditions: [],
    mainFields: ['main'],
    // Function and class names as in node_modules (Fastify names plugins by them, errors
    // print them).
    keepNames: true,
    chunkNames: 'chunk-[hash]',
    // ws's optional native helpers: found from their own folder (node-gyp-build(__dirname)), so
    // loaded from node_modules by the `require` below, as ws does there.
    // ccxt's protobufjs: optional (not installed), imported in a `try` by the two venues that
    // need it.
    // debug's optional supports-color is installed here only for dev tools (Jest, autocannon):
    // found at run time as debug finds it, so the image (no dev packages) behaves the same.
    // pino (Fastify's logger): its transports start a worker from a file beside the package
    // (`__dirname`, undefined in the bundle: a ReferenceError, tried). Kairos keeps Fastify's
    // logger off, but a transport set later must work, so pino stays in node_modules.
    // (Tried too, and the same bundled: winston's transports, Fastify's plugin names.)
    external: [
      'bufferutil',
      'utf-8-validate',
      'protobufjs',
      'protobufjs/*',
      'supports-color',
      'pino',
    ],
    // CommonJS code inside an ES module: `require` of Node's modules, `__filename`.
    banner: {
      js: [
        "import { createRequire as __kairosCreateRequire } from 'node:module';",
        'const require = __kairosCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    plugins: [lazyCommonJs()],
    metafile: true,
    logLevel: 'warning',
  });
  rmSync(stubs, { recursive: true, force: true });
  // The packages inside, with their versions: bin/kairos.js compares them with node_modules;
  // the lists, for test/e2e/vendor-build.test.ts.
  const packages = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!m || input.includes('/.cache/kairos-vendor/')) continue;
    const pkg = `${m[1]}/package.json`;
    packages[pkg] ??= JSON.parse(readFileSync(path.join(root, pkg), 'utf8')).version;
  }
  // A package only a dev dependency brings (an optional `require` found it here) would be
  // bundled but missing from a production install, which bin/kairos.js would take for stale.
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;
  const devOnly = Object.keys(packages).filter((p) => lock[path.dirname(p)]?.dev);
  if (devOnly.length > 0)
    throw new Error(`dist/vendor/ would bundle dev-only ${devOnly.join(', ')}: add to external`);
  // `install`: the hidden lockfile npm rewrites at each install; unchanged, the versions are too.
  let install = null;
  try {
    const s = statSync(path.join(root, 'node_modules', '.package-lock.json'));
    install = `${s.mtimeMs}:${s.size}`;
  } catch {
    // not installed by npm: bin/kairos.js compares every version
  }
  writeFileSync(
    path.join(vendor, 'packages.json'),
    `${JSON.stringify({ install, vendored: VENDORED, kept: Object.keys(KEPT), packages }, null, 1)}\n`,
  );
  return Object.keys(result.metafile.outputs).length;
}
