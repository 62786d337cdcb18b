import { Topics } from '../trading/bus/topics.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import { accountsOfChange, riskFrame } from './risk-frames.js';
import { accountChannel, barsChannel, riskChannel } from './ws-channels.js';
import type { FrameLog } from './ws-frame-log.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';
import { replayBarFrame } from './ws-market-frames.js';
import { storedInOrder } from './ws-stored-order.js';
import { orderFrames, portfolioFrames } from './ws-order-frames.js';

/** Where the frames of this instance's events come from (a venue's streams: `VenueWatches`). */
export type FrameSources = Pick<
  WsGatewayOptions,
  | 'events'
  | 'order'
  | 'stored'
  | 'accountOwner'
  | 'owners'
  | 'portfolio'
  | 'instruments'
  | 'instrumentsOf'
  | 'riskChanges'
  | 'allAccounts'
  | 'bars'
  | 'now'
>;

/**
 * Appends to the log the frames of this instance's events, each for the user it is for: every
 * order event (`orders`; a fill on `orders` and `fills`, then the `positions` and `balances` it
 * changed), every risk change made here (`risk`, for each account it applies to) and the
 * replay's bars (`bars`). Answers the stop of all three.
 */
export function appendFrameSources(
  opts: FrameSources,
  log: Pick<FrameLog, 'append' | 'appended'>,
): () => void {
  const append = log.append.bind(log);
  const afterStored = storedInOrder(opts.stored);
  const unsubscribeOrders = opts.events.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
    // The order as this event left it (orders are immutable values), framed once.
    const order = opts.order(e.clientOrderId);
    if (!order) return;
    const channel = accountChannel(e.accountId);
    // The order's frame is made once, and only if read (no client, no resume: never).
    const frames = orderFrames(e, order);
    // A fill's position and balance as the ledger has them now (it took the fill first).
    const portfolio = e.kind === 'OrderFilled' ? portfolioFrames(e, opts) : null;
    const deliver = (userId: string | null) => {
      append(channel, 'orders', userId, frames.order);
      if (!frames.fill) return;
      // On `orders` beside its order (as before `fills` existed) and on `fills` alone.
      append(channel, 'orders', userId, frames.fill);
      append(channel, 'fills', userId, frames.fill);
      if (!portfolio) return;
      append(channel, 'positions', userId, portfolio.position);
      for (const frame of portfolio.balances) append(channel, 'balances', userId, frame);
    };
    afterStored(e.accountId, () => {
      const owner = opts.accountOwner(e.accountId);
      if (owner === null) opts.owners.withOwner(e.strategyId, deliver);
      else deliver(owner ?? null);
    });
  });
  // The instance that makes a risk change appends its frames (`docs/scalability.md`, "Risk
  // changes through the log"): for the account's owner (null: oversight only), in order.
  const unsubscribeRisk =
    opts.riskChanges?.subscribe(async (change) => {
      const accounts = accountsOfChange(change, opts.allAccounts?.() ?? []);
      await Promise.all(
        accounts.map((a) =>
          log.appended(
            riskChannel(a.id),
            'risk',
            a.ownerUserId,
            JSON.stringify(riskFrame(change, a)),
          ),
        ),
      );
    }) ?? (() => undefined);
  const unsubscribeBars = opts.bars.subscribe((bar) => {
    // One instance feeds the bars (`bars`); a replay started again appends its bars again, as
    // new frames.
    append(barsChannel(bar.instrumentId), 'bars', null, replayBarFrame(bar, opts.now()));
  });
  return () => {
    unsubscribeBars();
    unsubscribeOrders();
    unsubscribeRisk();
  };
}
