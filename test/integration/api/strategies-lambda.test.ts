import path from 'node:path';
import { lambdaClient } from '../../../src/cloud/lambda/lambda-client.js';
import {
  aliasVersion,
  checkFunction,
  deployFunction,
  removeFunction,
} from '../../../src/cloud/lambda/lambda-functions.js';
import { deterministicZip } from '../../../src/cloud/lambda/lambda-zip.js';
import {
  startLocalLambda,
  type LocalLambda,
} from '../../../src/cloud/lambda/local-lambda-server.js';
import { apiCall } from '../../support/api-call.js';
import { startLambdaFaultProxy, type LambdaFaultProxy } from '../../support/lambda-fault-proxy.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';
import { tempDir } from '../../support/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

/**
 * Strategies as Lambda functions over the API: the real Fastify server, the real
 * `@aws-sdk/client-lambda`, and the local Lambda endpoint (`AWS_ENDPOINT_URL_LAMBDA`).
 */
describe('API: strategies as Lambda functions (deploy, versions, rollback, start runtime lambda)', () => {
  let lambda: LocalLambda;
  let client: ReturnType<typeof lambdaClient>;
  let t: TestServer;
  /** Between the server and the endpoint: fails the calls a test picks. */
  let proxy: LambdaFaultProxy;

  beforeAll(async () => {
    const dir = tempDir('kairos-api-lambda-');
    lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'lambda') });
    client = lambdaClient({ region: 'us-east-1', endpoint: lambda.url });
    proxy = await startLambdaFaultProxy(lambda.url);
    // Bars move (10 a second) so started strategies see them.
    t = await startTestServer({
      speed: 600,
      bars: 3000,
      env: { AWS_ENDPOINT_URL_LAMBDA: proxy.url },
    });
    const strategies = path.join(t.home, 'strategies');
    addToCatalog(strategies, 'examples/strategies/sma-cross.ts', 'sma-cross');
    addToCatalog(strategies, 'test/fixtures/strategies/boom.ts', 'boom');
    addToCatalog(strategies, 'examples/strategies/sma-cross.ts', 'sma.cross');
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
    client?.destroy();
    await proxy?.close();
    await lambda?.close();
  });

  const call = (method: string, url: string, opts: { token?: string; body?: unknown } = {}) =>
    apiCall(t.server.url, method, url, opts);
  const quant = () => t.tokens.quant;

  async function audit(subject: string): Promise<Json[]> {
    const page = await call('GET', '/audit?limit=1000', { token: t.tokens.auditor });
    expect(page.status).toBe(200);
    return page.json.rows.filter((r: Json) => r.subject === subject);
  }

  async function exists(fn: string): Promise<boolean> {
    try {
      await checkFunction(client, fn, '$LATEST');
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'LAMBDA_NOT_FOUND') return false;
      throw e;
    }
  }

  it('refuses a trader (403) and bad deploys with a problem naming the field and the rule; nothing is created', async () => {
    const trader = await call('POST', '/strategies/sma-cross/deploy', {
      token: t.tokens.trader,
      body: {},
    });
    expect([trader.status, trader.json.code]).toEqual([403, 'FORBIDDEN']);
    const traderRollback = await call('POST', '/strategies/sma-cross/rollback', {
      token: t.tokens.trader,
      body: { version: '1' },
    });
    expect([traderRollback.status, traderRollback.json.code]).toEqual([403, 'FORBIDDEN']);

    const cases: [string, unknown, number, string, RegExp][] = [
      ['sma-cross', { memoryMb: 64 }, 400, 'VALIDATION', /^body\.memoryMb: must be >= 128/],
      ['sma-cross', { memoryMb: 10241 }, 400, 'VALIDATION', /^body\.memoryMb: must be <= 10240/],
      ['sma-cross', { timeoutS: 0 }, 400, 'VALIDATION', /^body\.timeoutS: must be >= 1/],
      ['sma-cross', { timeoutS: 1.5 }, 400, 'VALIDATION', /^body\.timeoutS: must be integer/],
      ['sma-cross', { function: 'no spaces' }, 400, 'VALIDATION', /^body\.function: must match/],
      // The server's role, never the caller's; code comes from the catalog only.
      ['sma-cross', { role: 'arn:aws:iam::1:role/x' }, 400, 'VALIDATION', /^body\.role/],
      ['sma-cross', { code: 'export default 1' }, 400, 'VALIDATION', /^body\.code/],
      ['nope', {}, 404, 'STRATEGY_NOT_FOUND', /strategy: "nope"/],
      ['..%2Fetc', {}, 400, 'CATALOG_NAME_INVALID', /strategy:/],
      // A catalog name that is no function name needs `function`.
      ['sma.cross', {}, 400, 'VALIDATION', /^body\.function: required, since the strategy name/],
    ];
    for (const [name, body, status, code, detail] of cases) {
      const res = await call('POST', `/strategies/${name}/deploy`, { token: quant(), body });
      expect([name, body, res.status, res.json.code]).toEqual([name, body, status, code]);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.json.detail).toMatch(detail);
    }
    expect(await exists('sma-cross')).toBe(false);
    expect(await audit('lambda:sma-cross')).toEqual([]);
    // On AWS a new function needs the server's role (LAMBDA_ROLE_ARN): none, nothing created.
    await expect(
      deployFunction(client, {
        name: 'roleless',
        zip: deterministicZip({ 'index.mjs': 'export const handler = async () => ({});' }),
      }),
    ).rejects.toMatchObject({ code: 'LAMBDA_ROLE_REQUIRED' });
    expect(await exists('roleless')).toBe(false);
  }, 60_000);

  it('deploys a catalog strategy: function, version 1, alias live, audited; a redeploy publishes 2; versions; rollback moves live (audited), a missing version moves nothing', async () => {
    const first = await call('POST', '/strategies/sma-cross/deploy', {
      token: quant(),
      body: { timeoutS: 5 },
    });
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      function: 'sma-cross',
      strategy: 'sma-cross',
      catalog: 'sma-cross',
      created: true,
      version: '1',
      previousVersion: null,
      alias: 'live',
      zipSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(await aliasVersion(client, 'sma-cross')).toBe('1');
    const [deployed, ...more] = await audit('lambda:sma-cross');
    expect(more).toEqual([]);
    expect(deployed).toMatchObject({
      actor: `user:${t.users.quant.id}`,
      role: 'quant',
      action: 'strategy.deployed',
      payload: {
        function: 'sma-cross',
        catalog: 'sma-cross',
        version: '1',
        previousVersion: null,
        created: true,
        zipSha256: first.json.zipSha256,
      },
    });

    // Same code, more memory: a new version, live moves to it.
    const second = await call('POST', '/strategies/sma-cross/deploy', {
      token: quant(),
      body: { memoryMb: 512 },
    });
    expect(second.status).toBe(201);
    expect(second.json).toMatchObject({ created: false, version: '2', previousVersion: '1' });
    expect(second.json.zipSha256).toBe(first.json.zipSha256); // deterministic package
    expect(await aliasVersion(client, 'sma-cross')).toBe('2');

    const versions = await call('GET', '/strategies/sma-cross/versions', {
      token: t.tokens.trader,
    });
    expect(versions.status).toBe(200);
    expect(versions.json.function).toBe('sma-cross');
    expect(
      versions.json.versions.map((v: Json) => [v.version, v.memoryMb, v.timeoutS, v.live]),
    ).toEqual([
      ['1', 256, 5, false],
      ['2', 512, 5, true],
    ]);

    const missing = await call('POST', '/strategies/sma-cross/rollback', {
      token: quant(),
      body: { version: '9' },
    });
    expect([missing.status, missing.json.code]).toEqual([404, 'LAMBDA_NOT_FOUND']);
    expect(missing.type).toMatch(/^application\/problem\+json/);
    expect(missing.json.detail).toMatch(/sma-cross:9/);
    const badVersion = await call('POST', '/strategies/sma-cross/rollback', {
      token: quant(),
      body: { version: 'live' },
    });
    expect([badVersion.status, badVersion.json.code]).toEqual([400, 'VALIDATION']);
    expect(badVersion.json.detail).toMatch(/^body\.version: must match/);
    expect(await aliasVersion(client, 'sma-cross')).toBe('2');

    const back = await call('POST', '/strategies/sma-cross/rollback', {
      token: quant(),
      body: { version: '1' },
    });
    expect(back.status).toBe(200);
    expect(back.json).toEqual({ function: 'sma-cross', alias: 'live', from: '2', to: '1' });
    expect(await aliasVersion(client, 'sma-cross')).toBe('1');
    expect(
      (await audit('lambda:sma-cross')).map((r: Json) => [
        r.action,
        r.payload.version ?? r.payload.to,
      ]),
    ).toEqual([
      ['strategy.deployed', '1'],
      ['strategy.deployed', '2'],
      ['strategy.rolled_back', '1'],
    ]);

    // Two deploys of one new function at once run one after the other (no create conflict).
    const twins = await Promise.all(
      [256, 384].map((memoryMb) =>
        call('POST', '/strategies/sma-cross/deploy', {
          token: quant(),
          body: { function: 'twin', memoryMb },
        }),
      ),
    );
    expect(twins.map((r) => r.status)).toEqual([201, 201]);
    expect(twins.map((r) => r.json.version).sort()).toEqual(['1', '2']);
    expect(twins.filter((r) => r.json.created)).toHaveLength(1);
    const later = twins.find((r) => r.json.version === '2')!;
    expect(later.json.previousVersion).toBe('1');
    expect(await aliasVersion(client, 'twin')).toBe('2');

    const noFunction = await call('GET', '/strategies/boom/versions', { token: quant() });
    expect([noFunction.status, noFunction.json.code]).toEqual([404, 'LAMBDA_NOT_FOUND']);
  }, 120_000);

  it('refuses a Lambda start on a function that does not exist, is not a deploy of the strategy, or a bad one (nothing started)', async () => {
    // A function in the account that no Kairos deploy made.
    await deployFunction(client, {
      name: 'foreign',
      zip: deterministicZip({ 'index.mjs': 'export const handler = async () => ({});' }),
      role: 'arn:aws:iam::000000000000:role/other',
    });
    const cases: [unknown, number, string, RegExp][] = [
      [
        { runtime: 'lambda', function: 'foreign' },
        409,
        'LAMBDA_STRATEGY_MISMATCH',
        /^body\.function: foreign:live \(version 1\) is not a deploy of the strategy "sma-cross"/,
      ],
      [{ runtime: 'lambda', function: 'ghost' }, 404, 'LAMBDA_NOT_FOUND', /ghost:live/],
      [{ runtime: 'lambda', function: 'sma-cross:7' }, 404, 'LAMBDA_NOT_FOUND', /sma-cross:7/],
      [
        { runtime: 'lambda', function: 'sma-cross:beta' },
        404,
        'LAMBDA_NOT_FOUND',
        /sma-cross:beta/,
      ],
      [
        { function: 'sma-cross' },
        400,
        'VALIDATION',
        /^body\.function: only with "runtime": "lambda"/,
      ],
      [{ runtime: 'lambda', function: 'a b' }, 400, 'VALIDATION', /^body\.function: must match/],
      [{ runtime: 'docker' }, 400, 'VALIDATION', /^body\.runtime/],
      [{ runtime: 'lambda', params: { fsat: 1 } }, 400, 'PARAM_UNKNOWN', /fsat/],
    ];
    for (const [body, status, code, detail] of cases) {
      const res = await call('POST', '/strategies/sma-cross/start', { token: quant(), body });
      expect([body, res.status, res.json.code]).toEqual([body, status, code]);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.json.detail).toMatch(detail);
    }
    const dotted = await call('POST', '/strategies/sma.cross/start', {
      token: quant(),
      body: { runtime: 'lambda' },
    });
    expect([dotted.status, dotted.json.code]).toEqual([400, 'VALIDATION']);
    expect(dotted.json.detail).toMatch(/^body\.function: required, since the strategy name/);
    const boom = await call('POST', '/strategies/boom/start', {
      token: quant(),
      body: { runtime: 'lambda', function: 'sma-cross' },
    });
    expect([boom.status, boom.json.code]).toEqual([409, 'LAMBDA_STRATEGY_MISMATCH']);
    expect(boom.json.detail).toMatch(/not a deploy of the strategy "boom"/);
    const list = await call('GET', '/strategies', { token: quant() });
    expect(list.json.instances).toEqual([]);
  }, 60_000);

  it('a strategy started with runtime lambda trades through the function and the gate; its view shows runtime, function and version; stop is audited', async () => {
    const started = await call('POST', '/strategies/sma-cross/start', {
      token: quant(),
      body: { runtime: 'lambda', params: { fast: 2, slow: 4, size: '1' } },
    });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    expect(started.json).toMatchObject({
      name: 'sma-cross',
      status: 'running',
      runtime: 'lambda',
      lambda: { function: 'sma-cross', qualifier: 'live', version: '1' },
    });
    const state = await until(
      async () => {
        const s = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
        expect(s.status).toBe(200);
        expect(s.json.status).toBe('running');
        return s.json.orders > 0 && s.json.lastBarAt !== null ? s.json : undefined;
      },
      60_000,
      'the Lambda strategy trades',
    );
    expect(state.state).toEqual(expect.objectContaining({ lastSign: expect.any(Number) }));
    const orders = t.server.core.exec.allOrders().filter((o) => o.strategyId === id);
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((o) => o.clientOrderId.startsWith(`${id}-`))).toBe(true);
    // Its invocations are counted and timed in the server's metrics.
    const text = await t.server.metrics!.text();
    expect(
      Number(/^kairos_lambda_invocations_total\{result="ok"\} (\d+)$/m.exec(text)?.[1]),
    ).toBeGreaterThan(0);
    expect(text).toMatch(/^kairos_lambda_invocation_duration_seconds_count [1-9]/m);

    const stopped = await call('POST', `/strategies/instances/${id}/stop`, { token: quant() });
    expect(stopped.json).toMatchObject({ status: 'stopped', runtime: 'lambda', openOrders: 0 });
    const rows = await audit(id);
    expect(rows.map((r: Json) => `${r.role}:${r.action}`)).toEqual([
      'quant:strategy.started',
      'quant:strategy.stopped',
    ]);
    expect(rows[0].payload).toMatchObject({
      runtime: 'lambda',
      lambda: { function: 'sma-cross', qualifier: 'live', version: '1' },
    });
    // An in-process start says so.
    const plain = await call('POST', '/strategies/sma-cross/start', {
      token: quant(),
      body: { params: { fast: 2, slow: 4, size: '1' } },
    });
    expect(plain.json).toMatchObject({ runtime: 'in-process', lambda: null });
    await call('POST', `/strategies/instances/${plain.json.id}/stop`, { token: quant() });
  }, 120_000);

  it('a strategy that throws inside the function fails alone, as in-process (stored, audited)', async () => {
    const deployed = await call('POST', '/strategies/boom/deploy', {
      token: quant(),
      body: { function: 'boom-fn', timeoutS: 5 },
    });
    expect([deployed.status, deployed.json.function, deployed.json.strategy]).toEqual([
      201,
      'boom-fn',
      'boom',
    ]);
    const started = await call('POST', '/strategies/boom/start', {
      token: quant(),
      body: { runtime: 'lambda', function: 'boom-fn:1', params: { after: 2 } },
    });
    expect(started.status).toBe(201);
    expect(started.json.lambda).toEqual({ function: 'boom-fn', qualifier: '1', version: '1' });
    const id = started.json.id;
    const failed = await until(async () => {
      const s = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
      return s.json.status === 'failed' ? s.json : undefined;
    }, 60_000);
    expect(failed.error).toMatch(/boom after 2 bars/);
    expect((await audit(id)).map((r: Json) => `${r.role}:${r.action}`)).toEqual([
      'quant:strategy.started',
      'system:strategy.failed',
    ]);
  }, 120_000);
  it('failed steps halt a Lambda instance alone (function removed; an answer holding an unknown command): HALTED, stored, audited as lambda; nothing half-done', async () => {
    const start = async (fn: string) => {
      const deployed = await call('POST', '/strategies/sma-cross/deploy', {
        token: quant(),
        body: { function: fn, timeoutS: 5 },
      });
      expect(deployed.status).toBe(201);
      const started = await call('POST', '/strategies/sma-cross/start', {
        token: quant(),
        body: { runtime: 'lambda', function: fn, params: { fast: 2, slow: 4, size: '1' } },
      });
      expect(started.status).toBe(201);
      const id = started.json.id as string;
      // It runs (a bar went through the function) before its function goes bad.
      await until(async () => {
        const s = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
        return s.json.lastBarAt !== null || undefined;
      }, 60_000);
      return id;
    };
    const gone = await start('gone');
    const garbled = await start('garbled');
    const other = await call('POST', '/strategies/sma-cross/start', {
      token: quant(),
      body: { params: { fast: 2, slow: 4, size: '1' } },
    });

    // Someone removes one function; the other's live alias moves to code that answers nonsense.
    await removeFunction(client, 'gone');
    const bad = await deployFunction(client, {
      name: 'garbled',
      zip: deterministicZip({
        'index.mjs':
          'export const handler = async (e) => ({ v: 1, seq: e.seq, ok: true, commands: [{ kind: "Teleport" }] });',
      }),
    });
    expect(bad.version).toBe('2');

    const halted = async (id: string) =>
      until(
        async () => {
          const s = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
          return s.json.tradingState === 'HALTED' ? s.json : undefined;
        },
        60_000,
        `${id} is HALTED`,
      );
    for (const [id, code] of [
      [gone, 'LAMBDA_NOT_FOUND'],
      [garbled, 'LAMBDA_BAD_REPLY'],
    ] as const) {
      const view = await halted(id);
      // The instance stays (its state and orders readable); it alone is halted, its orders canceled.
      expect(view).toMatchObject({ status: 'running', runtime: 'lambda', openOrders: 0 });
      const risk = await call('GET', '/risk', { token: t.tokens.risk });
      expect(JSON.stringify(risk.json.states)).toContain(id);
      const rows = await audit(id);
      const halt = rows.find((r: Json) => r.action === 'risk.halted');
      expect(halt).toMatchObject({ actor: 'lambda', role: 'system' });
      expect(JSON.stringify(halt.payload)).toMatch(
        new RegExp(`3 failed Lambda steps in a row, the last: ${code}`),
      );
    }
    const fine = await call('GET', `/strategies/instances/${other.json.id}/state`, {
      token: quant(),
    });
    expect(fine.json).toMatchObject({ status: 'running', tradingState: 'ACTIVE' });
    // Halted means no more invocations and no more orders, while bars go on.
    const count = (id: string) =>
      t.server.core.exec.allOrders().filter((o) => o.strategyId === id).length;
    const before = [count(gone), count(garbled)];
    const lastBar = async () =>
      (await call('GET', '/candles?instrumentId=BTC/X&limit=1', { token: t.token })).json.candles[0]
        .closeTime as number;
    const from = await lastBar();
    await until(async () => (await lastBar()) > from + 5 * 60_000 || undefined, 30_000);
    expect([count(gone), count(garbled)]).toEqual(before);
    for (const id of [gone, garbled, other.json.id])
      await call('POST', `/strategies/instances/${id}/stop`, { token: quant() });
  }, 180_000);
  it('a Lambda call that is throttled, denied, signed for another region or fails: a deploy that cannot publish moves and audits nothing; a throttled check starts nothing; throttled invokes halt the instance after retries', async () => {
    const first = await call('POST', '/strategies/sma-cross/deploy', {
      token: quant(),
      body: { function: 'half', timeoutS: 5 },
    });
    expect([first.status, first.json.version]).toEqual([201, '1']);
    const fn = '/2015-03-31/functions/half';
    try {
      for (const [fault, status, code] of [
        [
          { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' },
          503,
          'LAMBDA_THROTTLED',
        ],
        [{ status: 500, type: 'ServiceException', message: 'internal' }, 502, 'LAMBDA_REQUEST'],
        [
          {
            status: 403,
            type: 'AccessDeniedException',
            message: 'User: arn:aws:iam::123456789012:user/api is not authorized',
          },
          502,
          'LAMBDA_DENIED',
        ],
        [
          {
            status: 403,
            type: 'InvalidSignatureException',
            message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
          },
          502,
          'LAMBDA_WRONG_REGION',
        ],
      ] as const) {
        proxy.fault = (c) => (c.method === 'POST' && c.path === `${fn}/versions` ? fault : null);
        const res = await call('POST', '/strategies/sma-cross/deploy', {
          token: quant(),
          body: { function: 'half', memoryMb: 512 },
        });
        expect([res.status, res.json.code]).toEqual([status, code]);
        expect(res.type).toMatch(/^application\/problem\+json/);
        expect(res.json.detail).toMatch(/^lambda: publish version of half: /);
        // Nothing half-done: no version published, live where it was, no audit row.
        expect(await aliasVersion(client, 'half')).toBe('1');
        proxy.fault = null;
        const versions = await call('GET', '/strategies/sma-cross/versions?function=half', {
          token: quant(),
        });
        expect(versions.json.versions.map((v: Json) => v.version)).toEqual(['1']);
        expect((await audit('lambda:half')).map((r: Json) => r.action)).toEqual([
          'strategy.deployed',
        ]);
      }

      // A throttled check at the start: 503, nothing started.
      proxy.fault = (c) =>
        c.method === 'GET' && c.path === fn
          ? { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' }
          : null;
      const before = (await call('GET', '/strategies', { token: quant() })).json.instances.length;
      const refused = await call('POST', '/strategies/sma-cross/start', {
        token: quant(),
        body: { runtime: 'lambda', function: 'half' },
      });
      expect([refused.status, refused.json.code]).toEqual([503, 'LAMBDA_THROTTLED']);
      expect((await call('GET', '/strategies', { token: quant() })).json.instances).toHaveLength(
        before,
      );
      proxy.fault = null;

      // Throttled invokes: each step tried 3 times (2 retries), skipped; after 3 such steps, HALTED.
      const started = await call('POST', '/strategies/sma-cross/start', {
        token: quant(),
        body: { runtime: 'lambda', function: 'half', params: { fast: 2, slow: 4, size: '1' } },
      });
      expect(started.status).toBe(201);
      const id = started.json.id as string;
      await until(async () => {
        const st = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
        return st.json.lastBarAt !== null || undefined;
      }, 60_000);
      proxy.failed.length = 0;
      proxy.fault = (c) =>
        c.method === 'POST' && c.path === `${fn}/invocations`
          ? { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' }
          : null;
      const halted = await until(
        async () => {
          const st = await call('GET', `/strategies/instances/${id}/state`, { token: quant() });
          return st.json.tradingState === 'HALTED' ? st.json : undefined;
        },
        60_000,
        'throttled steps halt it',
      );
      expect(halted.status).toBe('running');
      expect(proxy.failed.length).toBeGreaterThanOrEqual(9);
      expect(proxy.failed.length % 3).toBe(0);
      const halt = (await audit(id)).find((r: Json) => r.action === 'risk.halted');
      expect(JSON.stringify(halt.payload)).toMatch(/the last: LAMBDA_THROTTLED/);
      await call('POST', `/strategies/instances/${id}/stop`, { token: quant() });
    } finally {
      proxy.fault = null;
    }
  }, 180_000);
});
