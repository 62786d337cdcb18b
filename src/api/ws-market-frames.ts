import type { Bar, BookTop, TradeTick } from '../trading/data/market-data.js';
import type { MarketChannel } from './ws-channels.js';

/**
 * A bar of the replay as a frame. `sentAt` (server ms) lets a client see how far behind it is.
 */
export const replayBarFrame = (bar: Bar, sentAt: number) =>
  JSON.stringify({ type: 'bar', bar, sentAt });

/**
 * A venue's market item as a frame (`bar`, `trade`, `book`, each naming its venue) and the key
 * that names it in the log (`once`): the bar's open time, the trade id, the book's update.
 */
export function marketFrame(
  kind: MarketChannel,
  venue: string,
  item: Bar | TradeTick | BookTop,
  sentAt: number,
): [string, string] {
  switch (kind) {
    case 'bars': {
      const bar = item as Bar;
      return [JSON.stringify({ type: 'bar', venue, bar, sentAt }), `${bar.openTime}`];
    }
    case 'trades': {
      const t = item as TradeTick;
      return [JSON.stringify({ type: 'trade', venue, trade: t, sentAt }), t.tradeId];
    }
    case 'book': {
      const b = item as BookTop;
      const { update, ...book } = b;
      return [
        JSON.stringify({ type: 'book', venue, book, sentAt }),
        update ?? `${b.ts}:${b.bid}:${b.bidSize}:${b.ask}:${b.askSize}`,
      ];
    }
    default:
      return kind satisfies never;
  }
}
