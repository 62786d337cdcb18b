import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

// `npm run build` pre-bundles the heavy third-party packages into dist/vendor/ and points
// dist/'s imports of them there (bin/build.mjs); Jest loads the same copies for src/ while they
// are current (test/support/vendor-resolver.mjs). These tests check the build wired them as it
// says.

const DIST = path.join(ROOT, 'dist');
const VENDOR = path.join(DIST, 'vendor');

interface VendorRecord {
  install: string | null;
  vendored: string[];
  kept: string[];
  packages: Record<string, string>;
}

function record(): VendorRecord {
  const file = path.join(VENDOR, 'packages.json');
  if (!existsSync(file))
    throw new Error('dist/ is not built (or built before dist/vendor/): npm run build');
  return JSON.parse(readFileSync(file, 'utf8')) as VendorRecord;
}

const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const isBare = (spec: string) =>
  !/^(\.|\/|node:)/.test(spec) && !builtinModules.includes(spec.split('/')[0]!);

/** Every import of a compiled file: esbuild prints `from "x"`, `import "x"` and `import("x")`. */
const importsOf = (code: string) =>
  [...code.matchAll(/(?:\bfrom |\bimport ?\(?)"([^"\n]+)"/g)].map((m) => m[1]!);

/** Our compiled files (dist/ but its vendor/ folder). */
function ourFiles(): string[] {
  return readdirSync(DIST, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js') && !f.startsWith(`vendor${path.sep}`))
    .map((f) => path.join(DIST, f));
}

/** The files `entry` loads before it runs: its static imports, transitively (ours and vendor). */
function staticGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const code = readFileSync(entry, 'utf8');
  for (const m of code.matchAll(/^(?:import|export)\b[^;]*?"(\.[^"\n]+)";?$/gm))
    staticGraph(path.resolve(path.dirname(entry), m[1]!), seen);
  return seen;
}

describe('the build (dist/)', () => {
  it('imports no vendored package from node_modules, and every other package import is a kept one', () => {
    const { vendored, kept } = record();
    const vendoredPackages = new Set(vendored.map(packageOf));
    const fromNodeModules: string[] = [];
    const unlisted: string[] = [];
    for (const file of ourFiles()) {
      for (const spec of importsOf(readFileSync(file, 'utf8')).filter(isBare)) {
        const where = `${path.relative(DIST, file)}: ${spec}`;
        if (vendoredPackages.has(packageOf(spec))) fromNodeModules.push(where);
        else if (!kept.includes(packageOf(spec)) && !kept.includes(spec)) unlisted.push(where);
      }
    }
    expect(fromNodeModules).toEqual([]);
    expect(unlisted).toEqual([]);
  });

  it("points the vendored imports at dist/vendor/'s files, which exist", () => {
    const { vendored } = record();
    const targets = new Set<string>();
    const missing: string[] = [];
    for (const file of ourFiles()) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const target = path.resolve(path.dirname(file), spec);
        if (!spec.startsWith('.') || !target.startsWith(VENDOR + path.sep)) continue;
        targets.add(path.relative(VENDOR, target));
        if (!existsSync(target)) missing.push(`${path.relative(DIST, file)}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
    expect([...targets].sort()).toEqual(vendored.map((s) => `${s}.js`).sort());
    expect(importsOf(readFileSync(path.join(DIST, 'api/app.js'), 'utf8'))).toContain(
      '../vendor/fastify.js',
    );
  });

  it('keeps the packages loaded on first use out of what the server and the store load at start', () => {
    const lazy = ['ccxt', 'pg', 'memjs', '@aws-sdk/client-s3', '@aws-sdk/client-kms'];
    for (const entry of ['system/trading-server.js', 'store/open-store.js', 'cli/main.js']) {
      const graph = [...staticGraph(path.join(DIST, entry))].map((f) => path.relative(VENDOR, f));
      expect({ entry, loaded: lazy.filter((p) => graph.includes(`${p}.js`)) }).toEqual({
        entry,
        loaded: [],
      });
    }
    // ... and they are imported (lazily) from their vendor files.
    const factory = readFileSync(
      path.join(DIST, 'trading/venues/ccxt/exchange-factory.js'),
      'utf8',
    );
    expect(factory).toContain('import("../../../vendor/ccxt.js")');
  });

  it('bundles only packages a production install has (bin/kairos.js checks their versions)', () => {
    const lock = (
      JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      }
    ).packages;
    const bundled = Object.keys(record().packages).map((p) => path.posix.dirname(p));
    expect(bundled).toContain('node_modules/fastify');
    expect(bundled.filter((p) => lock[p] === undefined || lock[p].dev)).toEqual([]);
  });

  it('answers a real command from the built files (a new admin, then the user list)', () => {
    const home = path.join(tempDir('kairos-vendor-'), 'home');
    // The test's environment: KAIROS_PGLITE_TEMPLATE (test/support/global-setup.mjs) included.
    const env = {
      ...process.env,
      KAIROS_HOME: home,
      DATABASE_URL: '',
      KAIROS_ADMIN_PASSWORD: 'violet-harbour-lantern-42',
    };
    const kairos = (...args: string[]) =>
      spawnSync(process.execPath, ['--liftoff-only', path.join(DIST, 'cli/main.js'), ...args], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
    const made = kairos('user', 'create-admin', 'root');
    expect({ code: made.status, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    const list = kairos('user', 'list');
    expect({ code: list.status, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/\broot\b.*\badmin\b/);
  });
});

describe('bin/kairos.js', () => {
  // A copy of the launcher in a folder of its own: a dist/ that prints "dist", no tsx (so the
  // source path fails, naming tsx), one vendored package.
  const root = tempDir('kairos-launcher-');
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  mkdirSync(path.join(root, 'bin'));
  for (const file of ['bin/kairos.js', 'bin/vendor-current.mjs'])
    copyFileSync(path.join(ROOT, file), path.join(root, file));
  put('package.json', '{ "type": "module" }\n');
  put('src/cli/main.ts', '');
  utimesSync(path.join(root, 'src/cli/main.ts'), new Date(2020, 0, 1), new Date(2020, 0, 1));
  put('dist/cli/main.js', 'console.log("dist");\n');
  put('dist/.built', '');
  put('node_modules/p/package.json', '{ "version": "1.0.0" }\n');
  const vendored = (install: string | null, version: string) =>
    put(
      'dist/vendor/packages.json',
      JSON.stringify({ install, packages: { 'node_modules/p/package.json': version } }),
    );
  const launch = () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/kairos.js')], {
      encoding: 'utf8',
      env: { ...process.env, KAIROS_DEV: '' },
    });
    return r.stdout === 'dist\n' ? 'dist' : /tsx/.test(r.stderr) ? 'source' : r.stderr;
  };

  it('runs dist/ while its vendored packages are the installed versions', () => {
    vendored(null, '1.0.0');
    expect(launch()).toBe('dist');
  });

  it('runs the sources instead when an installed package is not the vendored version', () => {
    vendored(null, '0.9.0');
    expect(launch()).toBe('source');
  });

  it('trusts an unchanged npm install without reading each package', () => {
    put('node_modules/.package-lock.json', '{}\n');
    const s = statSync(path.join(root, 'node_modules/.package-lock.json'));
    vendored(`${s.mtimeMs}:${s.size}`, '0.9.0');
    expect(launch()).toBe('dist');
  });
});

describe("Jest's resolver (test/support/vendor-resolver.mjs)", () => {
  const load = async <T>(file: string) =>
    (await import(pathToFileURL(path.join(ROOT, file)).href)) as T;

  it('loads our imports of a vendored package from dist/vendor/ while it is current', async () => {
    const { vendorIsCurrent } = await load<{ vendorIsCurrent(root: string): boolean }>(
      'bin/vendor-current.mjs',
    );
    const bundle = await import(pathToFileURL(path.join(VENDOR, 'kysely.js')).href);
    // One module record for one resolved file: the same namespace only if `kysely` is the bundle.
    expect((await import('kysely')) === bundle).toBe(
      process.env.KAIROS_TEST_VENDOR !== '0' && vendorIsCurrent(ROOT),
    );
  });

  it("leaves a package's own imports, packages not vendored and those loaded on first use to node_modules", async () => {
    type Resolve = (
      spec: string,
      o: { basedir: string; defaultResolver: (spec: string) => string },
    ) => string;
    const { default: resolve } = await load<{ default: Resolve }>(
      'test/support/vendor-resolver.mjs',
    );
    const from = (spec: string, dir: string) =>
      resolve(spec, { basedir: path.join(ROOT, dir), defaultResolver: (s) => `node_modules:${s}` });
    expect(from('commander', 'src/cli')).toBe(path.join(VENDOR, 'commander.js'));
    expect(from('typebox/compile', 'test/unit')).toBe(path.join(VENDOR, 'typebox/compile.js'));
    // s3rver (not vendored) requires commander and winston: its own copies, as before.
    expect(from('commander', 'node_modules/s3rver/lib')).toBe('node_modules:commander');
    expect(from('ioredis', 'src/scalability')).toBe('node_modules:ioredis');
    // Loaded on first use: as CommonJS, whose concurrent imports Jest links (its bundle's it did not).
    expect(from('@aws-sdk/client-kms', 'src/cloud/kms')).toBe('node_modules:@aws-sdk/client-kms');
    expect(from('pg', 'src/store')).toBe('node_modules:pg');
  });
});
