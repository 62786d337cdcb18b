// Jest's resolver while dist/vendor/ is current (jest.config.js): our files' imports of a package
// bin/build.mjs vendors load its bundle in dist/vendor/, as dist/ itself does, instead of the
// package's files in node_modules. Jest evaluates every module again for each test file, and its
// cost is per file, not per byte: the test server's graph is ~1,800 files of node_modules
// (TypeBox alone 683, kysely 262, Fastify's compilers ~240 CommonJS), against a few dozen
// bundles (docs/testing.md, "Test suite time"). A package's own imports (a file under
// node_modules) resolve as before, so a package that is not vendored (s3rver, ioredis) keeps
// its own dependencies. The packages src/ loads on first use (`import()`: the AWS SDK clients,
// ccxt, pg, memjs) stay in node_modules too: two concurrent imports of one bundle's graph (the
// KMS client and its commands) fail under Jest's ES module linking ("request for 'node:module'
// is not in cache"), where their CommonJS in node_modules does not; they load in few files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const vendor = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/vendor');
const vendored = new Set(
  JSON.parse(readFileSync(path.join(vendor, 'packages.json'), 'utf8')).vendored,
);
const inPackage = `${path.sep}node_modules${path.sep}`;
const onFirstUse = /^(@aws-sdk\/|ccxt$|pg$|memjs$)/;

export default (spec, options) =>
  vendored.has(spec) &&
  !onFirstUse.test(spec) &&
  !`${options.basedir}${path.sep}`.includes(inPackage)
    ? path.join(vendor, `${spec}.js`)
    : options.defaultResolver(spec, options);
