import path from 'node:path';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const CANARY = 'canary-Zq9';

describe('kairos config', () => {
  const home = path.join(tempDir('kairos-config-'), 'home');

  it('prints the effective configuration with every secret masked', () => {
    const r = runCli(['config'], {
      KAIROS_HOME: home,
      DATABASE_URL: `postgres://kairos:${CANARY}@db.example.com/kairos`,
      EXCHANGE_API_KEY: `${CANARY}-key`,
      EXCHANGE_SECRET: `${CANARY}-secret`,
      EXCHANGE_PASSWORD: '',
      EXCHANGE_RATE_LIMIT_MS: '20',
      EXCHANGE_CIRCUIT_HALF_OPEN_MS: '750',
      KAIROS_LIVE_CONFIRM_MS: '300',
      KAIROS_ADMIN_PASSWORD: `${CANARY}-admin`,
      LOG_LEVEL: 'warn',
      PORT: '9090',
      USER: 'rita',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(CANARY);
    expect(JSON.parse(r.stdout)).toMatchObject({
      home,
      databaseUrl: 'postgres://kairos:***@db.example.com/kairos',
      store: 'postgres',
      logLevel: 'warn',
      port: 9090,
      exchangeApiKey: '***',
      exchangeSecret: '***',
      exchangePassword: null,
      exchangeRateLimitMs: 20,
      exchangeCircuitHalfOpenMs: 750,
      liveConfirmMs: 300,
      adminPassword: '***',
      actor: 'rita',
    });
  });

  it('refuses a bad setting with one line naming it, and --help still works', () => {
    const bad = runCli(['config'], { KAIROS_HOME: home, LOG_LEVEL: 'loud' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'kairos: LOG_LEVEL: must be one of debug, info, warn, error, was "loud" [CONFIG_INVALID]\n',
    );
    const help = runCli(['--help'], { LOG_LEVEL: 'loud' });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('config');
  });
});
