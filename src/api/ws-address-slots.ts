/** Default of `maxConnectionsPerAddress` (`KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS`). */
export const WS_MAX_CONNECTIONS_PER_ADDRESS = 50;

/**
 * The WebSocket connections open per client address, each address at most `max`: one address
 * cannot hold the instance's sockets (memory, file descriptors). A slot is taken before the
 * upgrade and given back when the connection's socket closes, however it ends.
 *
 * @example
 * const slots = new AddressSlots(50);
 * if (slots.take(ip)) socket.once('close', () => slots.release(ip));
 */
export class AddressSlots {
  readonly #open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes a slot of `address`: false (nothing taken) when it holds `max` already. */
  take(address: string): boolean {
    const n = this.#open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  /** Gives back one slot of `address`. */
  release(address: string): void {
    const n = this.#open.get(address) ?? 0;
    if (n <= 1) this.#open.delete(address);
    else this.#open.set(address, n - 1);
  }

  /** The connections `address` holds now. */
  openOf(address: string): number {
    return this.#open.get(address) ?? 0;
  }
}
