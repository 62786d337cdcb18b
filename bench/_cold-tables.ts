// What a look-up and an insert cost in a table as large as a backtest's run (issue 18): the OMS's
// map of every order takes a new client order id every order, with the per-bar path's allocation
// in between. Fresh ids (as `ClientOrderIds.next` makes them: flat strings) go into one `Map` of
// every id, or into one that is started anew at 1,024 ids; small objects are allocated between
// operations as bars are. Prints ns per `get` of the new id and per insert, and the timer's own
// cost. Also what a page of fresh memory costs this machine (a typed array touched page by page).
// Usage: node --import tsx bench/_cold-tables.ts
const N = 38_939;

function timer(): number {
  let t = 0n;
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    t += process.hrtime.bigint() - t0;
  }
  return Number(t) / N;
}

function tables(limit: number): [get: number, insert: number] {
  let m = new Map<string, object>();
  let get = 0n;
  let insert = 0n;
  let junk: object[] = [];
  for (let i = 1; i <= N; i++) {
    const id = ['sma-cross-', i].join('');
    if (m.size >= limit) m = new Map();
    const t0 = process.hrtime.bigint();
    const x = m.get(id);
    const t1 = process.hrtime.bigint();
    m.set(id, { id, x });
    const t2 = process.hrtime.bigint();
    get += t1 - t0;
    insert += t2 - t1;
    for (let k = 0; k < 60; k++) junk.push({ a: k, b: i, c: [k] });
    if (junk.length > 6000) junk = [];
  }
  return [Number(get) / N, Number(insert) / N];
}

function freshPage(): number {
  const pf0 = process.resourceUsage().minorPageFault;
  const c0 = process.cpuUsage();
  const b = new Uint8Array(64 * 1048576);
  for (let i = 0; i < b.length; i += 4096) b[i] = 1;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (process.resourceUsage().minorPageFault - pf0);
}

for (let r = 0; r < 3; r++) {
  const [bigGet, bigInsert] = tables(Number.POSITIVE_INFINITY);
  const [smallGet, smallInsert] = tables(1024);
  process.stdout.write(
    `round ${r + 1}: timer ${timer().toFixed(0)} ns; one map of every id: get ${bigGet.toFixed(0)} ns, insert ${bigInsert.toFixed(0)} ns; ≤ 1,024 ids: get ${smallGet.toFixed(0)} ns, insert ${smallInsert.toFixed(0)} ns; a fresh page ${freshPage().toFixed(1)} µs of CPU\n`,
  );
}
