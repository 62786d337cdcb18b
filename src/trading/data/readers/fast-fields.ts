const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_DIGITS = 15;

/**
 * Parses the comma-separated plain decimal numbers of one line of bytes (`-12.345`, no
 * exponent, no quotes) into `out`, straight from the bytes. The value is `mantissa / 10^d` with
 * an integer mantissa of at most 15 digits: both exact doubles, so the division is correctly
 * rounded and gives the same double as `parseFloat` (Clinger's fast path). Returns the number of
 * fields, or -1 when the line needs the general parser (anything unusual, an empty field, too
 * many digits). `dots[i]` tells whether field i had a decimal point.
 *
 * @example
 * const n = parseNumericLine(bytes, 0, bytes.length, out, dots);
 */
export function parseNumericLine(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Float64Array,
  dots: Uint8Array,
): number {
  let f = 0;
  let m = 0;
  let digits = 0;
  let dec = -1;
  let neg = false;
  for (let i = start; i <= end; i++) {
    const c = i < end ? buf[i]! : 44;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (++digits > MAX_DIGITS) return -1;
      if (dec >= 0) dec++;
    } else if (c === 44) {
      if (digits === 0 || f >= out.length) return -1;
      out[f] = (neg ? -m : m) / POW10[dec > 0 ? dec : 0]!;
      dots[f++] = dec >= 0 ? 1 : 0;
      m = 0;
      digits = 0;
      dec = -1;
      neg = false;
    } else if (c === 46 && dec < 0) {
      dec = 0;
    } else if (c === 45 && digits === 0 && !neg && dec < 0) {
      neg = true;
    } else {
      return -1;
    }
  }
  return f;
}
