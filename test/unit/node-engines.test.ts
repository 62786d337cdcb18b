import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

// Kairos runs on Node 20 (DESIGN.md). A package whose `engines.node` excludes it installs with a
// warning and may break at run time, so every installed package (both lockfiles: the service's
// and infra/cdk's) must accept every Node the project itself declares (docs/decisions/node-20.md).

interface LockPackage {
  engines?: { node?: string } | string[];
}
interface Lock {
  packages: Record<string, LockPackage>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(root + path, 'utf8')) as T;
const declared = readJson<{ engines: { node: string } }>('package.json').engines.node;
// The Node lines the project supports: what package.json declares, within the 20 line.
const supported = `${declared} <21`;

function excluding(lock: Lock): string[] {
  return Object.entries(lock.packages).flatMap(([path, pkg]) => {
    const node = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (!path || node === undefined) return [];
    return semver.subset(supported, node) ? [] : [`${path} needs node ${node}`];
  });
}

describe('installed packages run on the Node the project supports', () => {
  it.each(['package-lock.json', 'infra/cdk/package-lock.json'])(
    'every package in %s accepts Node 20',
    (file) => {
      expect(excluding(readJson<Lock>(file))).toEqual([]);
    },
  );

  it('names a package that needs a newer Node', () => {
    const lock: Lock = {
      packages: {
        '': {},
        'node_modules/cookie': { engines: { node: '>=22' } },
        'node_modules/ok': { engines: { node: '>=18' } },
      },
    };
    expect(excluding(lock)).toEqual(['node_modules/cookie needs node >=22']);
  });
});
