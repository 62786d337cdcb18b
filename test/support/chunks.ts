/** A text's UTF-8 bytes in chunks of the given sizes, in turn (each at least 1). */
export async function* bytesOf(text: string, sizes: number[]): AsyncGenerator<Uint8Array> {
  const b = new TextEncoder().encode(text);
  for (let i = 0, k = 0; i < b.length;) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    yield b.subarray(i, i + n);
    i += n;
  }
}

/** A text in string chunks of the given sizes, in turn (each at least 1). */
export async function* textOf(text: string, sizes: number[]): AsyncGenerator<string> {
  for (let i = 0, k = 0; i < text.length;) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    yield text.slice(i, i + n);
    i += n;
  }
}
