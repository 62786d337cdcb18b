import {
  appendFile,
  mkdtemp,
  rename,
  rm,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openUnchanged } from '../../../src/security/open-unchanged.js';

// A reader that sized a file by `stat` reads that file's bytes or none: a file replaced or
// rewritten between the `stat` and the open is refused (null), whatever the change.

describe('openUnchanged: the file a stat saw, or none', () => {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-open-unchanged-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const changes: [string, (file: string) => Promise<void>][] = [
    [
      'replaced by a rename (same size)',
      async (file) => {
        await writeFile(`${file}.new`, 'FIRST');
        await rename(`${file}.new`, file);
      },
    ],
    ['grown in place', (file) => appendFile(file, ' and more')],
    ['cut in place', (file) => truncate(file, 2)],
    [
      'rewritten in place, same size (only the modification time tells)',
      async (file) => {
        await writeFile(file, 'FIRST');
        await utimes(file, new Date(), new Date(Date.UTC(2030, 0, 1)));
      },
    ],
    ['deleted', (file) => rm(file)],
  ];

  it.each(changes)('%s: null', async (_what, change) => {
    const file = path.join(dir, `f-${++n}`);
    await writeFile(file, 'first');
    const seen = await stat(file);
    await change(file);
    expect(await openUnchanged(file, seen)).toBeNull();
  });

  it('unchanged: a handle on its bytes', async () => {
    const file = path.join(dir, 'same');
    await writeFile(file, 'first');
    const seen = await stat(file);
    const handle = await openUnchanged(file, seen);
    try {
      expect((await handle!.readFile()).toString()).toBe('first');
    } finally {
      await handle?.close();
    }
  });
});
