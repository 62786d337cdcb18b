import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Exchange } from 'ccxt';
import { CCXT_EXCHANGE_IDS, CCXT_PRO_EXCHANGE_IDS } from './exchange-ids.js';

/** A ccxt exchange class (REST, or its ccxt.pro WebSocket subclass). */
export type ExchangeClass = new (args: object) => Exchange;

/**
 * Where the module of one exchange class lies: `<id>.js` (REST) and `pro/<id>.js` (ccxt.pro), as
 * in ccxt's own `js/src/`, whose files are what ccxt's index imports for `ccxt[id]` and
 * `ccxt.pro[id]`.
 * - Built (dist/, this file's `.js`): `dist/vendor/ccxt/`, one entry per id that `bin/build.mjs`
 *   bundles in the same build as `dist/vendor/ccxt.js`, so both share their chunks: one copy of
 *   ccxt's base classes and errors in a process that loads both.
 * - From the sources (`.ts`: tsx, Jest): ccxt's files in node_modules, found from ccxt's own entry
 *   (its `exports` offer no subpaths), the same files its index (`import('ccxt')`) loads.
 */
function modulesFolder(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('../../../vendor/ccxt/', import.meta.url);
  // ccxt's `require` entry, `dist/ccxt.cjs`: its ES modules are `../js/src/`.
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('ccxt'));
  return new URL('../js/src/', entry);
}

let folder: URL | undefined;

/**
 * The class of exchange `id` (the ccxt.pro one with `pro`), loaded from its own module with only
 * what it imports (ccxt's base classes, its REST parent): ~0.15 s of CPU instead of the ~0.5 s of
 * ccxt's every exchange. Null when `id` has no module of its own here (not a ccxt id, or no
 * ccxt.pro class, as far as `exchange-ids.ts` knows): the caller loads all of ccxt then.
 *
 * @example
 * const Binance = await importExchangeClass('binance', true); // ccxt.pro.binance
 */
export async function importExchangeClass(id: string, pro: boolean): Promise<ExchangeClass | null> {
  // Only a listed id becomes a path.
  if (!(pro ? CCXT_PRO_EXCHANGE_IDS : CCXT_EXCHANGE_IDS).has(id)) return null;
  folder ??= modulesFolder();
  const url = new URL(`${pro ? 'pro/' : ''}${id}.js`, folder);
  return ((await import(url.href)) as { default: ExchangeClass }).default;
}
