import path from 'node:path';
import type { TradingAccounts } from '../../../src/system/trading-accounts.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';
import { openAccount } from '../../support/api-call.js';
import { startTestServer } from '../../support/api-server.js';
import { fdsOn } from '../../support/open-fds.js';
import { btcInstrument } from '../../support/paper-args.js';
import { flatBar, paperAccountsRig } from '../../support/paper-accounts.js';

/**
 * Each paper account's venue keeps its op log open while the account trades; it used to be
 * closed only when the venue was garbage-collected. Closing an account's trading (a hand-over,
 * a lost lease) or the server closes its venues' logs now.
 */
describe('paper venues closed with their accounts', () => {
  const inst = btcInstrument();
  // One store for the three tests below: each opens the accounts afresh on it (a restart).
  const rig = paperAccountsRig('kairos-venue-closed-', inst, { storePerFile: true });
  const logOf = (home: string, accountId: string) =>
    path.join(home, 'paper', accountId, 'venue.json.log');
  /** A bar through every open core: each paper venue logs it (its log is open from then on). */
  const trade = async (accounts: TradingAccounts) =>
    accounts.exclusive(async () => {
      accounts.onBar(flatBar(inst, 0));
      for (const rt of accounts.runtimes()) await rt.core.settle();
    });

  it.each(['release', 'lost'] as const)(
    'closes the venue of an account whose trading is closed here (%s)',
    async (how) => {
      const accounts = await rig.open();
      await trade(accounts);
      expect(fdsOn(logOf(rig.dir, SHARED_ACCOUNT))).toHaveLength(1);
      await accounts.closeAccount(SHARED_ACCOUNT, how);
      expect(fdsOn(logOf(rig.dir, SHARED_ACCOUNT))).toEqual([]);
      // Closed again by the server's stop: nothing left to close, no error.
      accounts.stop();
    },
  );

  it('closes every venue when the accounts stop (the server closes), twice is fine', async () => {
    const accounts = await rig.open();
    await trade(accounts);
    expect(fdsOn(logOf(rig.dir, SHARED_ACCOUNT))).toHaveLength(1);
    accounts.stop();
    expect(fdsOn(logOf(rig.dir, SHARED_ACCOUNT))).toEqual([]);
    accounts.stop();
    expect(fdsOn(logOf(rig.dir, SHARED_ACCOUNT))).toEqual([]);
  });

  it('a server closes the venue of each of its accounts', async () => {
    const t = await startTestServer({ speed: 60_000, bars: 5 });
    await t.server.replayDone;
    // Opened at the last bar, which its venue logs.
    const mine = await openAccount(t.server.url, t.token, 'main');
    const logs = [logOf(t.home, SHARED_ACCOUNT), logOf(t.home, mine)];
    expect(logs.map((l) => fdsOn(l).length)).toEqual([1, 1]);
    await t.server.close();
    expect(logs.map((l) => fdsOn(l).length)).toEqual([0, 0]);
  }, 60_000);
});
