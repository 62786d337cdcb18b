// Whether dist/vendor/ (bin/build.mjs) holds the versions installed in node_modules: bin/kairos.js
// runs dist/ only then, and Jest (jest.config.js) loads the vendored copies only then.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Whether `root`'s dist/vendor/ holds the package versions installed in its node_modules. */
export function vendorIsCurrent(root) {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(path.join(root, 'dist', 'vendor', 'packages.json'), 'utf8'));
  } catch {
    return false;
  }
  try {
    // npm rewrites this file at each install: unchanged since the build, so are the packages.
    const s = statSync(path.join(root, 'node_modules', '.package-lock.json'));
    if (`${s.mtimeMs}:${s.size}` === recorded.install) return true;
  } catch {
    // not installed by npm: compare each version (~20 ms)
  }
  for (const [file, version] of Object.entries(recorded.packages)) {
    try {
      if (JSON.parse(readFileSync(path.join(root, file), 'utf8')).version !== version) return false;
    } catch {
      return false;
    }
  }
  return true;
}
