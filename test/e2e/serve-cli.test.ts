import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { noUsersHint } from '../../src/cli/serve-command.js';
import { DATA, runCli } from '../support/run-cli.js';

describe('kairos serve start-up', () => {
  it('fails at once on a taken port, naming it, and leaves KAIROS_HOME untouched', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (taken.address() as net.AddressInfo).port;
    const home = path.join(mkdtempSync(path.join(os.tmpdir(), 'kairos-serve-')), 'home');
    try {
      const r = runCli(
        [
          'serve',
          '--data',
          path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'),
          '--symbol',
          'BTC/USDT',
          '--port',
          String(port),
        ],
        { KAIROS_HOME: home },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `kairos: --port ${port}: already in use on 127.0.0.1 (pick another with --port, or 0 for any free one) [PORT_IN_USE]\n`,
      );
      expect(existsSync(home)).toBe(false);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('says how to create the first user when there is none', () => {
    expect(noUsersHint(0, true)).toMatch(
      /^no users yet: .*kairos user create-admin <name> \(embedded store: stop this server first/,
    );
    expect(noUsersHint(0, false)).not.toMatch(/embedded/);
    expect(noUsersHint(2, true)).toBeNull();
  });
});
