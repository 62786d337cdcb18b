import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureNginx, nginxConfig } from '../../../scripts/cluster.js';

/** The config `scripts/cluster.ts` writes, checked by the real nginx (`nginx -t`). */
describe('the cluster’s nginx config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-nginx-config-'));
  const config = nginxConfig({
    port: 18_081,
    upstreams: ['http://127.0.0.1:40001', 'http://127.0.0.1:40002'],
    dir,
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is accepted by nginx and writes nothing outside its folder', () => {
    // Installed by the test setup; missing here, this throws (never a skip).
    const nginx = ensureNginx();
    const file = path.join(dir, 'nginx.conf');
    writeFileSync(file, config);
    const r = spawnSync(nginx, ['-t', '-p', dir, '-c', file, '-g', 'daemon off;'], {
      encoding: 'utf8',
    });
    expect([r.status, r.stderr]).toEqual([0, expect.stringContaining('test is successful')]);
    for (const line of config.split('\n').filter((l) => /_path |^pid /.test(l.trim())))
      expect(line).toContain(dir);
  });

  it('balances over every instance, passes WebSocket upgrades and skips an instance that refuses', () => {
    expect(config).toContain('server 127.0.0.1:40001 max_fails=1 fail_timeout=5s;');
    expect(config).toContain('server 127.0.0.1:40002 max_fails=1 fail_timeout=5s;');
    expect(config).toMatch(
      /location = \/ws \{[^}]*Upgrade \$http_upgrade;[^}]*Connection \$connection_upgrade;[^}]*proxy_read_timeout 3600s;/,
    );
    expect(config).toContain('proxy_next_upstream error timeout;');
    expect(config).toContain('proxy_next_upstream_tries 2;');
  });
});
