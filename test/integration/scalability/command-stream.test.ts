import fc from 'fast-check';
import type { Redis } from 'ioredis';
import type {
  AccountCommand,
  CommandAnswer,
  CommandHandler,
} from '../../../src/scalability/bus/command-stream.js';
import { OwnerUnavailableError } from '../../../src/scalability/bus/command-stream.js';
import { RedisCommandStream } from '../../../src/scalability/bus/redis-command-stream.js';
import { connectRedis } from '../../../src/scalability/connections.js';
import { redisJournal } from '../../support/redis-journal.js';
import { spawnScript } from '../../support/spawn-script.js';
import { until } from '../../support/until.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from './services.js';

let seq = 0;
const command = (accountId: string, key: string): AccountCommand => ({
  requestId: `req-${++seq}`,
  accountId,
  user: { id: 'u1', role: 'trader' },
  route: 'orders.place',
  body: { side: 'BUY', quantity: '1' },
  idempotencyKey: key,
});

/** An idempotent journal, as the order desk is: the first command of a key makes the order. */
function journal() {
  const orders = new Map<string, { id: string; runs: number }>();
  const handle: CommandHandler = async (cmd) => {
    const key = cmd.idempotencyKey!;
    const found = orders.get(key);
    if (found) {
      found.runs++;
      return { status: 200, body: { id: found.id } };
    }
    orders.set(key, { id: `order-${key}`, runs: 1 });
    return { status: 201, body: { id: `order-${key}` } };
  };
  return { orders, handle };
}

describe('RedisCommandStream: commands to the owner of an account, answers back', () => {
  const prefix = uniquePrefix();
  let admin: { redis: Redis; cleanup(): Promise<void> };
  const opened: { redis: Redis; stream: RedisCommandStream }[] = [];
  /** One instance's stream, on its own client. */
  const instance = async (opts: ConstructorParameters<typeof RedisCommandStream>[1] = {}) => {
    const redis = await connectRedis(TEST_REDIS_URL);
    const stream = new RedisCommandStream(redis, { prefix, ...opts });
    opened.push({ redis, stream });
    return { redis, stream };
  };
  beforeAll(async () => {
    admin = await testRedis(prefix);
  });
  afterAll(async () => {
    for (const o of opened) {
      await o.stream.close();
      o.redis.disconnect();
    }
    await admin.cleanup();
  });

  it("delivers a command to the account's consumer and brings its answer back to the sender", async () => {
    const owner = await instance();
    const other = await instance();
    const seen: AccountCommand[] = [];
    const stop = owner.stream.serve('acct-a', async (cmd) => {
      seen.push(cmd);
      return { status: 201, body: { echo: cmd.body, by: cmd.user.id } };
    });
    const cmd = command('acct-a', 'k1');
    const answer = await other.stream.send(cmd);
    expect(answer).toEqual({ status: 201, body: { echo: cmd.body, by: 'u1' } });
    expect(seen).toEqual([cmd]);
    // Acknowledged, and the answer's list taken: nothing pending, nothing left behind.
    const pending = (await admin.redis.xpending(`${prefix}cmd:acct-a`, 'owners')) as [number];
    expect(pending[0]).toBe(0);
    expect(await admin.redis.keys(`${prefix}reply:*`)).toEqual([]);
    await stop();
  });

  it('keeps commands of one account in order, and of two accounts apart', async () => {
    const owner = await instance();
    const sender = await instance();
    const got: string[] = [];
    const stops = ['acct-x', 'acct-y'].map((a) =>
      owner.stream.serve(a, async (cmd) => {
        got.push(`${cmd.accountId}:${cmd.idempotencyKey!}`);
        return { status: 200, body: cmd.accountId };
      }),
    );
    const answers: CommandAnswer[] = [];
    for (const k of ['1', '2', '3']) answers.push(await sender.stream.send(command('acct-x', k)));
    answers.push(await sender.stream.send(command('acct-y', '1')));
    expect(answers.map((a) => a.body)).toEqual(['acct-x', 'acct-x', 'acct-x', 'acct-y']);
    expect(got).toEqual(['acct-x:1', 'acct-x:2', 'acct-x:3', 'acct-y:1']);
    for (const s of stops) await s();
  });

  it('answers ACCOUNT_OWNER_UNAVAILABLE with a retry delay when no owner answers in time', async () => {
    const sender = await instance({ waitMs: 300 });
    const started = Date.now();
    const err = await sender.stream.send(command('acct-nobody', 'k')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OwnerUnavailableError);
    expect((err as OwnerUnavailableError).code).toBe('ACCOUNT_OWNER_UNAVAILABLE');
    expect((err as OwnerUnavailableError).retryAfterS).toBe(1);
    expect((err as Error).message).toMatch(/^accountId: .*acct-nobody.*300 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('answers ACCOUNT_OWNER_UNAVAILABLE when Redis cannot be reached', async () => {
    const sender = await instance();
    sender.redis.disconnect();
    const err = await sender.stream.send(command('acct-a', 'k')).catch((e: unknown) => e);
    expect((err as OwnerUnavailableError).code).toBe('ACCOUNT_OWNER_UNAVAILABLE');
  });

  it('a command sent before any owner ever read is taken by the first one', async () => {
    const sender = await instance({ waitMs: 10_000 });
    const owner = await instance();
    const answer = sender.stream.send(command('acct-late', 'k'));
    await until(async () => (await admin.redis.xlen(`${prefix}cmd:acct-late`)) === 1);
    const stop = owner.stream.serve('acct-late', async () => ({ status: 201, body: 'late' }));
    expect(await answer).toEqual({ status: 201, body: 'late' });
    await stop();
  });

  it('a new owner claims (XAUTOCLAIM) what a dead one ran but never acknowledged, answered once from the journal', async () => {
    const sender = await instance({ waitMs: 15_000 });
    const dying = await instance();
    const heir = await instance();
    const { orders, handle } = journal();
    // The first owner journals the order, then loses Redis before its answer and acknowledgment.
    let ran = false;
    const stopDying = dying.stream.serve('acct-d', async (cmd) => {
      const answer = await handle(cmd);
      ran = true;
      dying.redis.disconnect();
      return answer;
    });
    const answer = sender.stream.send(command('acct-d', 'same-key'));
    await until(() => ran, 10_000, 'the first owner ran the command');
    await stopDying();
    const pending = (await admin.redis.xpending(`${prefix}cmd:acct-d`, 'owners')) as [number];
    expect(pending[0]).toBe(1);
    const stopHeir = heir.stream.serve('acct-d', handle);
    // Delivered twice, journaled once: the caller gets the stored order (200), as a retry would.
    expect(await answer).toEqual({ status: 200, body: { id: 'order-same-key' } });
    expect([...orders.values()]).toEqual([{ id: 'order-same-key', runs: 2 }]);
    await until(
      async () =>
        ((await admin.redis.xpending(`${prefix}cmd:acct-d`, 'owners')) as [number])[0] === 0,
    );
    await stopHeir();
  });

  it('an owner process killed (SIGKILL) after running a command: the next owner claims it and answers from the journal', async () => {
    const sender = await instance({ waitMs: 60_000 });
    const owner = spawnScript('test/support/command-owner.ts', [
      TEST_REDIS_URL,
      prefix,
      'acct-killed',
    ]);
    const { child, out } = owner;
    try {
      await until(() => out().includes('serving'), 30_000, 'the owner process serving');
      const answer = sender.stream.send(command('acct-killed', 'killed-key'));
      await until(() => out().includes('journaled killed-key'), 30_000, 'the command run');
      child.kill('SIGKILL');
      await owner.exited;
      const heir = await instance();
      const stop = heir.stream.serve('acct-killed', redisJournal(heir.redis, prefix));
      expect(await answer).toEqual({ status: 200, body: { id: 'order-killed-key' } });
      expect(await admin.redis.get(`${prefix}runs:killed-key`)).toBe('2');
      await stop();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it("an install's command never reaches another install's account of the same id (same prefix)", async () => {
    const ours = await instance({ install: 'ours', waitMs: 500 });
    const theirs = await instance({ install: 'theirs' });
    const ran: string[] = [];
    const stop = theirs.stream.serve('desk', async () => {
      ran.push('theirs');
      return { status: 201, body: null };
    });
    await expect(ours.stream.send(command('desk', 'k-install'))).rejects.toBeInstanceOf(
      OwnerUnavailableError,
    );
    expect(ran).toEqual([]);
    expect(ours.stream.streamOf('desk')).toBe(`${prefix}cmd:ours:desk`);
    await stop();
  });

  it('does not run a command older than any caller waits for', async () => {
    const sender = await instance({ waitMs: 200 });
    await expect(sender.stream.send(command('acct-old', 'k'))).rejects.toThrow(
      OwnerUnavailableError,
    );
    // The owner's clock is two minutes on: the command is acknowledged, never run.
    const owner = await instance({ now: () => Date.now() + 120_000 });
    let runs = 0;
    const stop = owner.stream.serve('acct-old', async () => {
      runs++;
      return { status: 201, body: null };
    });
    const stream = `${prefix}cmd:acct-old`;
    const id = (await admin.redis.xrange(stream, '-', '+'))[0]![0];
    // Delivered to the owner and acknowledged (nothing pending), yet not run.
    await until(async () => {
      const [g] = (await admin.redis.xinfo('GROUPS', stream)) as unknown[][];
      if (g === undefined || g[g.indexOf('last-delivered-id') + 1] !== id) return false;
      return ((await admin.redis.xpending(stream, 'owners')) as [number])[0] === 0;
    });
    await stop();
    expect(runs).toBe(0);
  });

  it('duplicates of a command, in any interleaving and across a change of owner, journal each key once', async () => {
    const senders = [await instance({ waitMs: 15_000 }), await instance({ waitMs: 15_000 })];
    const owners = [await instance(), await instance()];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // Which key each request carries (a few keys: many duplicates), which instance sends it,
        // and after how many sent requests the account changes owner.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.nat(12),
        async (requests, handOverAt) => {
          const account = `acct-p${++run}`;
          const { orders, handle } = journal();
          let stop = owners[0]!.stream.serve(account, handle);
          const answers: Promise<CommandAnswer & { key: string }>[] = [];
          for (const [i, [k, from]] of requests.entries()) {
            if (i === handOverAt) {
              await stop();
              stop = owners[1]!.stream.serve(account, handle);
            }
            const key = `key-${k}`;
            answers.push(
              senders[from]!.stream.send(command(account, key)).then((a) => ({ ...a, key })),
            );
          }
          const all = await Promise.all(answers);
          await stop();
          const keys = new Set(requests.map(([k]) => `key-${k}`));
          expect(new Set(orders.keys())).toEqual(keys);
          for (const key of keys) {
            const mine = all.filter((a) => a.key === key);
            // One order per key; exactly one request made it (201), every other found it (200).
            expect(mine.map((a) => a.status).sort((x, y) => y - x)).toEqual([
              201,
              ...Array<number>(mine.length - 1).fill(200),
            ]);
            expect(new Set(mine.map((a) => JSON.stringify(a.body)))).toEqual(
              new Set([JSON.stringify({ id: `order-${key}` })]),
            );
            expect(orders.get(key)!.runs).toBe(mine.length);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
