import path from 'node:path';
import { LeaseRepository } from '../../../src/store/lease-repository.js';
import { accountResource } from '../../../src/system/account-leases.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { btcInstrument } from '../../support/paper-args.js';
import { flatBar, paperAccountsRig } from '../../support/paper-accounts.js';

/**
 * Found by the failover scenario (issue 16): an order committed by its account's owner and
 * answered 201, whose send the owner's venue gate then refused because the lease was lost (or
 * whose owner was killed between commit and send), was rejected `NOT_AT_VENUE` by the next
 * owner's reconciliation: the client held a 201 for an order that never reached the venue. A
 * paper venue's "no such order" is final (it records an order before it answers, in the file
 * the next owner reads, fenced by the lease's token), so the next owner sends it at recovery,
 * once.
 */
describe('an order committed and never sent, across a change of owner', () => {
  const inst = btcInstrument();
  const rig = paperAccountsRig('kairos-unsent-', inst);
  const instance = (alerts: Alert[]) =>
    rig.open({ onAlert: (a) => alerts.push(a), leased: { adopt: async () => undefined } });
  const bar = (i: number) => flatBar(inst, i);

  it('reaches the venue once, sent by the next owner at its recovery', async () => {
    const leases = new LeaseRepository(rig.store.db);
    const resource = accountResource(SHARED_ACCOUNT);
    const alertsA: Alert[] = [];
    const a = await instance(alertsA);
    const heldA = (await leases.acquire(resource, 'A', 60_000))!;
    expect(
      await a.openAccount(SHARED_ACCOUNT, { fence: leases.fence(heldA), token: heldA.token }),
    ).toBe(true);
    const rtA = a.runtime(SHARED_ACCOUNT)!;
    await a.exclusive(async () => {
      a.onBar(bar(0));
      await rtA.core.settle();
    });

    // Committed (the 201), then the lease is lost before the send goes out.
    const placing = rtA.desk.place('user:u1', 'k-unsent', {
      instrumentId: inst.id,
      side: 'BUY',
      type: 'LIMIT',
      price: '200',
      quantity: '0.001',
    });
    const closing = a.closeAccount(SHARED_ACCOUNT, 'lost');
    const placed = await placing;
    await closing;
    expect([placed.created, placed.order.status]).toEqual([true, 'SUBMITTED']);
    expect(alertsA.map((x) => x.code)).toContain('ORDER_NOT_SENT');
    const file = path.join(rig.dir, 'paper', SHARED_ACCOUNT, 'venue.json');
    const venueNow = () =>
      new PaperVenue(file, { venue: 'PAPER', instruments: [inst] }, () => undefined);
    expect(await venueNow().orderByClientId('k-unsent')).toBeNull();

    // The next owner takes the lease (the old one expired) and opens the account.
    await leases.release(heldA);
    const heldB = (await leases.acquire(resource, 'B', 60_000))!;
    expect(heldB.token).toBeGreaterThan(heldA.token);
    const alertsB: Alert[] = [];
    const b = await instance(alertsB);
    expect(
      await b.openAccount(SHARED_ACCOUNT, { fence: leases.fence(heldB), token: heldB.token }),
    ).toBe(true);
    const rtB = b.runtime(SHARED_ACCOUNT)!;
    expect(rtB.core.exec.order('k-unsent')?.status).toBe('ACCEPTED');
    expect(alertsB.map((x) => x.code)).toEqual(['ORDER_SENT_ON_RECOVERY']);
    const atVenue = await venueNow().orderByClientId('k-unsent');
    expect(atVenue?.status).toBe('OPEN');

    // It fills on the next bar, once; one submission stored, no duplicate at the venue.
    await b.exclusive(async () => {
      b.onBar(bar(1));
      await rtB.core.settle();
    });
    expect(rtB.core.exec.order('k-unsent')?.status).toBe('FILLED');
    const events = await rig.store.db
      .selectFrom('order_events')
      .select(['kind'])
      .where('client_order_id', '=', 'k-unsent')
      .execute();
    expect(events.filter((e) => e.kind === 'OrderSubmitted')).toHaveLength(1);
    expect(events.map((e) => e.kind)).not.toContain('OrderRejected');
    const venue = venueNow().state();
    expect(venue.duplicatesRefused ?? 0).toBe(0);
    expect(venue.trades.map((t) => t.clientOrderId)).toEqual(['k-unsent']);
    await b.closeAccount(SHARED_ACCOUNT, 'release');
  });
});
