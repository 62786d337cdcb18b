const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_DIGITS = 15;

/**
 * Parses the comma-separated plain decimal numbers of one line of bytes (`-12.345`, `1.5e-7`: the
 * grammar of `decimal-text.ts`, no quotes) into `out`, straight from the bytes. The value is
 * `mantissa / 10^k` or `mantissa * 10^k` with an integer mantissa of at most 15 digits and
 * k ≤ 22: both exact doubles, so the one operation is correctly rounded and gives the same double
 * as `Number` (Clinger's fast path). Returns the number of fields, or -1 when the line needs the
 * general parser (anything else, an empty field, too many digits, a larger exponent). `whole[i]` is 1 when field i is a whole number written as `String` writes one
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
  // One field per turn: an optional minus, digits, an optional point and digits, an optional
  // exponent, then a comma or the end of the line (read as a comma).
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
    // The power of ten the mantissa is divided by (negative: multiplied by).
    let k = dec > 0 ? dec : 0;
    let exp = false;
    if (c === 101 || c === 69) {
      exp = true;
      c = ++i < end ? buf[i]! : 44;
      const minus = c === 45;
      if (minus || c === 43) c = ++i < end ? buf[i]! : 44;
      // A long exponent grows to Infinity at worst: out of range below.
      let e = 0;
      const from = i;
      for (; c >= 48 && c <= 57; c = ++i < end ? buf[i]! : 44) e = e * 10 + (c - 48);
      if (i === from) return -1;
      k += minus ? e : -e;
    }
    if (c !== 44 || digits === 0 || digits > MAX_DIGITS || k > 22 || k < -22) return -1;
    out[f] = k >= 0 ? (neg ? -m : m) / POW10[k]! : (neg ? -m : m) * POW10[-k]!;
    whole[f++] = neg || dec >= 0 || exp || (zero && digits > 1) ? 0 : 1;
    if (i >= end) return f;
    i++;
  }
}
