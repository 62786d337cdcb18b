import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { noUsersHint } from '../../src/cli/serve-command.js';
import { DATA, runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

/** `kairos serve` on the test bars in a new home under a temp folder, with `more` arguments. */
function serve(more: string[], env: NodeJS.ProcessEnv = {}) {
  const home = path.join(tempDir('kairos-serve-'), 'home');
  const data = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json');
  const r = runCli(['serve', '--data', data, '--symbol', 'BTC/USDT', ...more], {
    KAIROS_HOME: home,
    ...env,
  });
  return { ...r, home };
}

describe('kairos serve start-up', () => {
  it('fails at once on a taken port, naming it, and leaves KAIROS_HOME untouched', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = serve(['--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `kairos: --port ${port}: already in use on 127.0.0.1 (pick another with --port, or 0 for any free one) [PORT_IN_USE]\n`,
      );
      expect(existsSync(r.home)).toBe(false);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('fails at start on an unreachable MEMCACHED_SERVERS, naming it (memjs loads on first use)', () => {
    const r = serve([], { MEMCACHED_SERVERS: '127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'kairos: MEMCACHED_SERVERS: 127.0.0.1:1 is not reachable: connect ECONNREFUSED 127.0.0.1:1 [CACHE_UNAVAILABLE]\n',
    );
  });

  it('says how to create the first user when there is none', () => {
    expect(noUsersHint(0, true)).toMatch(
      /^no users yet: .*kairos user create-admin <name> \(embedded store: stop this server first/,
    );
    expect(noUsersHint(0, false)).not.toMatch(/embedded/);
    expect(noUsersHint(2, true)).toBeNull();
  });
});
