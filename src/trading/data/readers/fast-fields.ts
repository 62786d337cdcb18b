const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_DIGITS = 15;

/**
 * Parses the comma-separated plain decimal numbers of one line of bytes (`-12.345`, no
 * exponent, no quotes) into `out`, straight from the bytes. The value is `mantissa / 10^d` with
 * an integer mantissa of at most 15 digits: both exact doubles, so the division is correctly
 * rounded and gives the same double as `parseFloat` (Clinger's fast path). Returns the number of
 * fields, or -1 when the line needs the general parser (anything unusual, an empty field, too
 * many digits). `whole[i]` is 1 when field i is a whole number written as `String` writes one
 * (no sign, point or leading zero: `0`, `1577836800`), else 0.
 *
 * @example
 * const n = parseNumericLine(bytes, 0, bytes.length, out, whole);
 */
export function parseNumericLine(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Float64Array,
  whole: Uint8Array,
): number {
  // One field per turn: an optional minus, digits, an optional point and digits, then a comma
  // or the end of the line (read as a comma).
  let f = 0;
  let i = start;
  for (;;) {
    if (f >= out.length) return -1;
    let c = i < end ? buf[i]! : 44;
    const neg = c === 45;
    if (neg) c = ++i < end ? buf[i]! : 44;
    const zero = c === 48;
    let m = 0;
    let digits = 0;
    while (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      c = ++i < end ? buf[i]! : 44;
    }
    let dec = -1;
    if (c === 46) {
      dec = 0;
      c = ++i < end ? buf[i]! : 44;
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        dec++;
        c = ++i < end ? buf[i]! : 44;
      }
    }
    if (c !== 44 || digits === 0 || digits > MAX_DIGITS) return -1;
    out[f] = (neg ? -m : m) / POW10[dec > 0 ? dec : 0]!;
    whole[f++] = neg || dec >= 0 || (zero && digits > 1) ? 0 : 1;
    if (i >= end) return f;
    i++;
  }
}
