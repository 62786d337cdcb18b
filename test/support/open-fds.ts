import { readdirSync, readlinkSync } from 'node:fs';

/** This process's file descriptors open on `file` (Linux: `/proc/self/fd`). */
export function fdsOn(file: string): number[] {
  const fds: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) fds.push(Number(fd));
    } catch {
      // The listing's own descriptor, closed once listed.
    }
  }
  return fds;
}
