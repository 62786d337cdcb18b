import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../../../src/cloud/local-object-store.js';

const text = (s: string) => new TextEncoder().encode(s);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-objects-'));
    store = new LocalObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('puts, heads, gets and lists files, and writes nothing beside them', async () => {
    expect(await store.put('a/one.json', text('{}\n'))).toEqual({
      key: 'a/one.json',
      bytes: 3,
      sha256: sha('{}\n'),
    });
    await store.put('b.txt', text('b'));
    expect(await store.head('a/one.json')).toEqual({
      key: 'a/one.json',
      bytes: 3,
      sha256: sha('{}\n'),
    });
    expect(await store.head('a')).toBeNull();
    expect(await store.head('none')).toBeNull();
    expect(Buffer.from(await store.get('a/one.json')).toString()).toBe('{}\n');
    expect((await store.list()).map((o) => o.key)).toEqual(['a/one.json', 'b.txt']);
    expect((await store.list('a/')).map((o) => o.key)).toEqual(['a/one.json']);
    expect((await readdir(root)).sort()).toEqual(['a', 'b.txt']);
    expect(await new LocalObjectStore(path.join(root, 'none')).list()).toEqual([]);
  });

  it('never overwrites unless asked to; copies a file body', async () => {
    await store.put('x.txt', text('first'));
    await expect(store.put('x.txt', text('second'))).rejects.toMatchObject({
      code: 'OBJECT_EXISTS',
    });
    const file = path.join(root, 'src.txt');
    await writeFile(file, 'from a file');
    await store.put('x.txt', { file }, { overwrite: true });
    expect(Buffer.from(await store.get('x.txt')).toString()).toBe('from a file');
  });

  it('checks a read against the checksum the caller expects', async () => {
    await store.put('rows.jsonl', text('row\n'));
    await writeFile(path.join(root, 'rows.jsonl'), 'changed\n');
    await expect(store.get('rows.jsonl', { sha256: sha('row\n') })).rejects.toMatchObject({
      code: 'OBJECT_CHECKSUM_MISMATCH',
      message: expect.stringContaining(`expected ${sha('row\n')}`),
    });
  });

  it('refuses unsafe keys, a missing object and a locked put', async () => {
    for (const key of ['../x', '/etc/x', 'a//b', 'a/../b', 'a b']) {
      await expect(store.put(key, text('a'))).rejects.toMatchObject({ code: 'OBJECT_KEY_INVALID' });
    }
    await expect(store.get('none')).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
    await expect(
      store.put('l.txt', text('a'), { lock: { mode: 'COMPLIANCE', retainUntil: 1 } }),
    ).rejects.toMatchObject({ code: 'OBJECT_LOCK_MISSING' });
    expect(await store.objectLock()).toEqual({ enabled: false });
  });
});
