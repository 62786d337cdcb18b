// What the A/B scripts of `POST /orders` load from the tree they measure (`<root>`: this one,
// or another tree's copy, e.g. var/ab-base from `git archive main src test bench`).
import path from 'node:path';
import type * as ApiServer from '../test/support/api-server.js';
import type * as BenchDatabase from './bench-database.js';
import type * as PostOrders from './post-orders.js';

/** The test server, the bench database and the load, from the tree at `root`. */
export async function loadTree(root: string) {
  const { startTestServer } = (await import(
    path.join(root, 'test/support/api-server.ts')
  )) as typeof ApiServer;
  const { createBenchDatabase } = (await import(
    path.join(root, 'bench/bench-database.ts')
  )) as typeof BenchDatabase;
  const { postOrders } = (await import(
    path.join(root, 'bench/post-orders.ts')
  )) as typeof PostOrders;
  return { startTestServer, createBenchDatabase, postOrders };
}
