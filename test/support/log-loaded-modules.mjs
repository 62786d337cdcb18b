// `node --import` this file (e.g. in NODE_OPTIONS) with KAIROS_LOADED_MODULES_LOG=<file>: the URL
// of every module the process loads (ES modules and CommonJS alike, through Node's module hooks)
// is appended to that file, one a line. For tests of what a process loads
// (test/e2e/ccxt-exchange-modules.test.ts).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(file) { log = file; }
export async function load(url, context, next) {
  appendFileSync(log, url + '\\n');
  return next(url, context);
}`;

const file = process.env.KAIROS_LOADED_MODULES_LOG;
if (file) register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: file });
