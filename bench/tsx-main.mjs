// Runs a TypeScript file (`node bench/tsx-main.mjs file.ts args...`) with tsx registered on this
// thread only, not by `--import tsx`: worker threads inherit that flag and would each load tsx
// (~100 ms of CPU and start-up) even to run a built worker from dist/, which `kairos` never pays.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const file = process.argv[2];
if (!file) throw new Error('usage: node bench/tsx-main.mjs <file.ts> [args...]');
// The file sees its own arguments at process.argv.slice(2), as under `node --import tsx`.
process.argv.splice(1, 2, path.resolve(file));
await import(pathToFileURL(path.resolve(file)).href);
