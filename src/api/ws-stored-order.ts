/**
 * Runs each account's `fn`s in the order given, each once the account's events so far are stored
 * (`stored`; none: at once). A failed write drops them: an event the store lost is never told.
 *
 * @example
 * const after = storedInOrder((id) => journalOf(id)?.stored());
 * after('acc-1', () => log.append(…)); // once acc-1's events so far are committed
 */
export function storedInOrder(
  stored: ((accountId: string) => Promise<void> | undefined) | undefined,
): (accountId: string, fn: () => void) => void {
  const tails = new Map<string, Promise<void>>();
  return (accountId, fn) => {
    const written = stored?.(accountId);
    const before = tails.get(accountId);
    if (!written && !before) return fn();
    // Behind the account's earlier ones, even when this one needs no wait.
    const tail = (before ? before.then(() => written) : written!).then(
      () => {
        if (tails.get(accountId) === tail) tails.delete(accountId);
        fn();
      },
      () => {
        if (tails.get(accountId) === tail) tails.delete(accountId);
      },
    );
    tails.set(accountId, tail);
  };
}
