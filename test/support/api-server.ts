import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { PasswordHasher } from '../../src/security/passwords/password-hasher.js';
import { Totp } from '../../src/security/totp/totp.js';
import { openStore } from '../../src/store/open-store.js';
import { UserRepository } from '../../src/store/user-repository.js';
import { loadConfig } from '../../src/system/config.js';
import { openFieldCipher } from '../../src/system/field-cipher.js';
import { startTradingServer, type RunningServer } from '../../src/system/trading-server.js';
import { btcInstrument, btcSlice } from './paper-args.js';

/** A server in this process on a temp home, with one trader logged in (HTTP: Jest cannot load `inject`). */
export interface TestServer {
  readonly server: RunningServer;
  readonly token: string;
  readonly home: string;
}

/** Starts `kairos serve`'s composition in-process (slow replay: bars do not move in a test). */
export async function startTestServer(
  opts: { rateLimitPerMinute?: number } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-api-'));
  const home = path.join(dir, 'home');
  const config = loadConfig({ KAIROS_HOME: home });
  const password = 'a trader passphrase for tests';
  const totp = new Totp(Date.now);
  const secret = totp.generateSecret();
  const store = await openStore({ dataDir: path.join(home, 'db') });
  try {
    const users = new UserRepository(store.db);
    const u = await users.create({
      username: 'tom',
      passwordHash: await new PasswordHasher().hash(password),
      role: 'trader',
      createdAt: Date.now(),
    });
    await users.setTotpSecret(u.id, secret, await openFieldCipher(config));
  } finally {
    await store.close();
  }
  const server = await startTradingServer(config, {
    data: btcSlice(path.join(dir, 'BTC-1m.json'), 50),
    instrument: btcInstrument(),
    cash: '1000',
    speed: 1,
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 1_000_000,
  });
  const post = (url: string, body: unknown) =>
    fetch(`${server.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const login = await post('/auth/login', { username: 'tom', password });
  const { challenge } = (await login.json()) as { challenge: string };
  const mfa = await post('/auth/mfa', { challenge, code: await generate({ secret }) });
  return { server, token: ((await mfa.json()) as { accessToken: string }).accessToken, home };
}
