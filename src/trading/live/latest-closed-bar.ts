/**
 * A live feed's latest closed bar at start (its close time) and when the closed bar before it
 * closed (none: `Number.MIN_SAFE_INTEGER`): `TradingNodeConfig.latestClosedBar`.
 */
export interface LatestClosedBar {
  readonly closeTime: number;
  readonly previousCloseTime: number;
}

/**
 * The venue's latest closed bar, from its newest candles (their open times, oldest first; at
 * least the last two closed ones when it has them) at venue time `now`. A candle is closed once
 * its close time has passed: a minute with no trades has no candle on some venues, so the newest
 * candle is not always the one still forming, and the one before a closed candle is not always
 * one bar earlier. Undefined when no candle has closed.
 *
 * @example
 * latestClosedBar([0, 60_000, 180_000], 60_000, 250_000);
 * // { closeTime: 240_000, previousCloseTime: 120_000 }: 180_000's bar closed, no candle forms yet
 */
export function latestClosedBar(
  openTimes: readonly number[],
  barMs: number,
  now: number,
): LatestClosedBar | undefined {
  const closed = openTimes.map((t) => t + barMs).filter((close) => close <= now);
  if (closed.length === 0) return undefined;
  return {
    closeTime: closed.at(-1)!,
    previousCloseTime: closed.length > 1 ? closed.at(-2)! : Number.MIN_SAFE_INTEGER,
  };
}

/**
 * A node whose last snapshot is `snapshotTs` (the close of the last bar it finished) died in the
 * venue's latest closed bar: no closed bar lies between its snapshot and that one, gaps or not.
 *
 * @example
 * diedInLatestBar(120_000, { closeTime: 240_000, previousCloseTime: 120_000 }); // true
 */
export function diedInLatestBar(snapshotTs: number, latest: LatestClosedBar): boolean {
  return snapshotTs >= latest.previousCloseTime && snapshotTs < latest.closeTime;
}

/**
 * A restarted node plays again the bar it died in: the venue's latest closed bar
 * (`diedInLatestBar`), or the bar still forming when its snapshot is of the latest closed one
 * (what it did in that bar so far, on trades and order events, is played again from the
 * snapshot; the bar itself comes when it closes).
 *
 * @example
 * playsAgain(240_000, { closeTime: 240_000, previousCloseTime: 180_000 }); // true: forming
 */
export function playsAgain(snapshotTs: number, latest: LatestClosedBar): boolean {
  return diedInLatestBar(snapshotTs, latest) || snapshotTs >= latest.closeTime;
}

/**
 * Where a restarted live node's feed starts its trades: the snapshot's time when the node plays
 * again the bar it died in (`playsAgain`: its trades first), else undefined.
 *
 * @example
 * replayedTradesSince(120_000, { closeTime: 240_000, previousCloseTime: 120_000 }); // 120_000
 */
export function replayedTradesSince(
  snapshotTs: number | null,
  latest: LatestClosedBar | undefined,
): number | undefined {
  return snapshotTs !== null && latest !== undefined && playsAgain(snapshotTs, latest)
    ? snapshotTs
    : undefined;
}
