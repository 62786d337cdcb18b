/**
 * The token of an `Authorization: Bearer <token>` header, or null. The scheme's name is
 * case-insensitive (RFC 9110, 11.1: `bearer`, `BEARER`), as is the space count before the token.
 *
 * @example
 * bearerToken('bearer eyJ...'); // 'eyJ...'
 * bearerToken('Basic dXNlcjpwYXNz'); // null
 */
export function bearerToken(header: string | undefined): string | null {
  const m = header === undefined ? null : /^bearer +(\S.*)$/i.exec(header);
  return m ? m[1]!.trim() : null;
}
