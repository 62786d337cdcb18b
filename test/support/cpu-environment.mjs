// Jest's node environment that appends each test file's CPU seconds (this worker and the child
// processes it reaped: user+sys, from /proc/self/stat) to KAIROS_TEST_CPU_LOG, one JSON line a file.
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import NodeEnvironment from 'jest-environment-node';

const Base = NodeEnvironment.default ?? NodeEnvironment;
const TICK = 100; // USER_HZ

function cpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the name: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
  return { self: (+f[11] + +f[12]) / TICK, children: (+f[13] + +f[14]) / TICK };
}

export default class CpuEnvironment extends Base {
  constructor(config, context) {
    super(config, context);
    this.file = context.testPath;
    this.start = cpu();
    this.wall = Date.now();
  }
  async teardown() {
    await super.teardown();
    const end = cpu();
    const log = process.env.KAIROS_TEST_CPU_LOG;
    if (log)
      appendFileSync(
        log,
        `${JSON.stringify({
          file: path.relative(process.cwd(), this.file),
          self: +(end.self - this.start.self).toFixed(2),
          children: +(end.children - this.start.children).toFixed(2),
          wall: (Date.now() - this.wall) / 1000,
        })}\n`,
      );
  }
}
