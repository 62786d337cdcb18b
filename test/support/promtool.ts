import { execFile, execFileSync } from 'node:child_process';

/** Where the Debian package `prometheus` puts promtool. */
const CANDIDATES = ['promtool', '/usr/bin/promtool'];
/** One install at a time across Jest workers and parallel runs (apt and dpkg have their own locks too). */
const LOCK = '/tmp/kairos-apt-prometheus.lock';

function found(): string | null {
  for (const bin of CANDIDATES) {
    try {
      execFileSync(bin, ['--version'], { stdio: 'ignore' });
      return bin;
    } catch {
      // not this one
    }
  }
  return null;
}

/**
 * The path of `promtool`, installed from the Debian package `prometheus` when missing
 * (`apt-get install -y --no-install-recommends prometheus`, under a lock so parallel workers
 * install it once). Throws, naming the fix, when it cannot be had: a test that needs it never
 * skips silently.
 */
export function ensurePromtool(): string {
  const have = found();
  if (have) return have;
  const install =
    'apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 prometheus';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    // Inside the lock, check again: another worker may have installed it meanwhile.
    execFileSync(
      'flock',
      [
        LOCK,
        'sh',
        '-c',
        `command -v promtool >/dev/null || ${install} || (apt-get update && ${install})`,
      ],
      { stdio: 'ignore', env, timeout: 600_000 },
    );
  } catch (cause) {
    throw new Error(
      `promtool is missing and could not be installed: run "${install}" (Debian package prometheus)`,
      { cause },
    );
  }
  const now = found();
  if (!now) throw new Error(`promtool still missing after "${install}"`);
  return now;
}

/** What `promtool check metrics` says about an exposition (`ok`: exit 0 and no output). */
export function promtoolCheckMetrics(
  text: string,
): Promise<{ ok: boolean; code: number; output: string }> {
  const bin = ensurePromtool();
  return new Promise((resolve) => {
    const child = execFile(bin, ['check', 'metrics'], (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? 1) : 0;
      const output = `${stdout}${stderr}`.trim();
      resolve({
        ok: code === 0 && output === '',
        code: typeof code === 'number' ? code : 1,
        output,
      });
    });
    child.stdin?.end(text);
  });
}
