import fc from 'fast-check';
import path from 'node:path';
import { GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../../../src/cloud/lambda/lambda-client.js';
import {
  deployFunction,
  invokeFunction,
  listVersions,
  removeFunction,
  rollbackAlias,
} from '../../../src/cloud/lambda/lambda-functions.js';
import type { LambdaStepResult } from '../../../src/cloud/lambda/lambda-protocol.js';
import { deterministicZip, MAX_DIRECT_ZIP_BYTES } from '../../../src/cloud/lambda/lambda-zip.js';
import {
  startLocalLambda,
  type LocalLambda,
} from '../../../src/cloud/lambda/local-lambda-server.js';
import { packageStrategy } from '../../../src/system/strategy-package.js';
import { ROOT } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';

const dir = tempDir('kairos-local-lambda-');
const ROLE = 'arn:aws:iam::000000000000:role/kairos-strategy';
const zipOf = (code: string) => deterministicZip({ 'index.mjs': code });

describe('the local Lambda endpoint, through @aws-sdk/client-lambda unchanged', () => {
  let lambda: LocalLambda;
  let client: ReturnType<typeof lambdaClient>;
  beforeAll(async () => {
    lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'work') });
    client = lambdaClient({ region: 'us-east-1', endpoint: lambda.url });
  });
  afterAll(async () => {
    client.destroy();
    await lambda.close();
  });

  it('deploys, publishes versions, moves and rolls back the alias, invokes each, removes', async () => {
    const v1 = await deployFunction(client, {
      name: 'echo',
      zip: zipOf('export const handler = async (e) => ({ v: 1, got: e });'),
      role: ROLE,
      timeoutS: 3,
    });
    expect(v1).toMatchObject({ created: true, version: '1', previousVersion: null });
    const v2 = await deployFunction(client, {
      name: 'echo',
      zip: zipOf('export const handler = async (e) => ({ v: 2, got: e });'),
      memoryMb: 256,
    });
    expect(v2).toMatchObject({ created: false, version: '2', previousVersion: '1' });
    // The same code again publishes no new version.
    const again = await deployFunction(client, {
      name: 'echo',
      zip: zipOf('export const handler = async (e) => ({ v: 2, got: e });'),
    });
    expect(again.version).toBe('2');
    expect(JSON.parse(await invokeFunction(client, 'echo', 'live', '{"x":1}'))).toEqual({
      v: 2,
      got: { x: 1 },
    });
    expect(JSON.parse(await invokeFunction(client, 'echo', '1', '{"x":1}'))).toEqual({
      v: 1,
      got: { x: 1 },
    });
    const versions = await listVersions(client, 'echo');
    expect(versions.map((v) => [v.version, v.live, v.memoryMb])).toEqual([
      ['1', false, 256],
      ['2', true, 256],
    ]);
    expect(await rollbackAlias(client, 'echo', '1')).toBe('2');
    expect(JSON.parse(await invokeFunction(client, 'echo', 'live', '{}'))).toEqual({
      v: 1,
      got: {},
    });
    await expect(rollbackAlias(client, 'echo', '9')).rejects.toMatchObject({
      code: 'LAMBDA_NOT_FOUND',
    });
    const got = await client.send(
      new GetFunctionCommand({ FunctionName: 'echo', Qualifier: 'live' }),
    );
    expect(got.Configuration?.Version).toBe('1');
    await removeFunction(client, 'echo');
    await expect(invokeFunction(client, 'echo', 'live', '{}')).rejects.toMatchObject({
      code: 'LAMBDA_NOT_FOUND',
      message: expect.stringMatching(/^lambda: invoke echo:live: ResourceNotFoundException/),
    });
  });

  it('runs a packaged strategy: a step answers through Invoke', async () => {
    const pkg = await packageStrategy(
      path.join(ROOT, 'examples/strategies/sma-cross.ts'),
      path.join(dir, 'build'),
    );
    await deployFunction(client, { name: 'sma', zip: pkg.zip, role: ROLE });
    const view = {
      ts: 0,
      position: { quantity: '0', lots: [], realizedPnl: '0', fees: '0', openedAt: null },
      cash: {},
      orders: [],
    };
    const step = {
      v: 1,
      seq: 0,
      strategyId: 'sma',
      instrument: { id: 'ORCL', base: 'ORCL', quote: 'USD', tickSize: '0.01', lotSize: '1' },
      params: { fast: 10, slow: 30, size: '100' },
      state: null,
      warmup: [],
      request: { kind: 'start', start: { state: null, ordersMade: 0, random: 1 }, view },
    };
    const r = JSON.parse(
      await invokeFunction(client, 'sma', 'live', JSON.stringify(step)),
    ) as LambdaStepResult;
    expect(r).toMatchObject({
      v: 1,
      seq: 0,
      reply: { ok: true },
      state: { state: { lastSign: 0 }, ordersMade: 0 },
    });
  });

  it('ends a handler at its timeout, and one out of memory, with a function error', async () => {
    await deployFunction(client, {
      name: 'spin',
      zip: zipOf('export const handler = async (e) => { if (e.spin) for (;;) {} return "ok"; };'),
      role: ROLE,
      timeoutS: 1,
    });
    const t0 = Date.now();
    await expect(invokeFunction(client, 'spin', 'live', '{"spin":true}')).rejects.toMatchObject({
      code: 'LAMBDA_TIMEOUT',
      message: expect.stringContaining('Task timed out after 1.00 seconds'),
    });
    // Bounded (a spinning handler would otherwise hold the call forever); loose for a loaded machine.
    expect(Date.now() - t0).toBeLessThan(30_000);
    // A fresh worker answers the next call.
    expect(await invokeFunction(client, 'spin', 'live', '{}')).toBe('"ok"');
    const raw = await client.send(
      new InvokeCommand({
        FunctionName: 'spin',
        Qualifier: 'live',
        Payload: Buffer.from('{"spin":true}'),
      }),
    );
    expect(raw.FunctionError).toBe('Unhandled');
    expect(raw.ExecutedVersion).toBe('1');

    await deployFunction(client, {
      name: 'hog',
      zip: zipOf(
        'export const handler = async () => { const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); };',
      ),
      role: ROLE,
      memoryMb: 128,
      timeoutS: 20,
    });
    await expect(invokeFunction(client, 'hog', 'live', '{}')).rejects.toMatchObject({
      code: 'LAMBDA_FUNCTION_ERROR',
      message: expect.stringContaining('Runtime.OutOfMemory'),
    });
  }, 30_000);

  it('refuses a zip that is not one, and a second create, with clear codes', async () => {
    await expect(
      deployFunction(client, { name: 'bad', zip: new Uint8Array([1, 2, 3]), role: ROLE }),
    ).rejects.toMatchObject({
      code: 'LAMBDA_REQUEST',
      message: expect.stringContaining('Could not unzip'),
    });
    await expect(
      deployFunction(client, { name: 'norole', zip: zipOf('export const handler = 1;') }),
    ).rejects.toMatchObject({
      code: 'LAMBDA_ROLE_REQUIRED',
    });
  });

  it('refuses a call signed for another region, as AWS does: LAMBDA_WRONG_REGION, one line, nothing created', async () => {
    const other = fc
      .tuple(
        fc.constantFrom('eu', 'ap', 'sa', 'us', 'ca'),
        fc.constantFrom('west', 'south', 'central', 'east'),
        fc.integer({ min: 1, max: 9 }),
      )
      .map(([a, b, n]) => `${a}-${b}-${n}`)
      .filter((r) => r !== 'us-east-1');
    await fc.assert(
      fc.asyncProperty(other, async (region) => {
        const wrong = lambdaClient({ region, endpoint: lambda.url });
        try {
          const calls = [
            () =>
              deployFunction(wrong, {
                name: 'elsewhere',
                zip: zipOf('export const handler = async () => 1;'),
                role: ROLE,
              }),
            () => listVersions(wrong, 'echo'),
            () => invokeFunction(wrong, 'elsewhere', 'live', '{}'),
          ];
          for (const call of calls) {
            const e = (await call().then(
              () => null,
              (x: unknown) => x,
            )) as { code?: string; message?: string } | null;
            expect(e?.code).toBe('LAMBDA_WRONG_REGION');
            expect(e?.message).toMatch(
              new RegExp(
                `^lambda: [^\\n]+: InvalidSignatureException: Credential should be scoped to a valid region, not '${region}'\\. \\(set AWS_REGION to the region of the function's endpoint\\)$`,
              ),
            );
          }
        } finally {
          wrong.destroy();
        }
      }),
      { numRuns: 5 },
    );
    // Nothing was created in the endpoint's region.
    await expect(listVersions(client, 'elsewhere')).rejects.toMatchObject({
      code: 'LAMBDA_NOT_FOUND',
    });
  }, 60_000);

  it("refuses code over Lambda's 50 MB direct-upload limit: LAMBDA_PAYLOAD_TOO_LARGE, no version, live stays", async () => {
    const ok = await deployFunction(client, {
      name: 'big',
      zip: zipOf('export const handler = async () => 1;'),
      role: ROLE,
    });
    expect(ok.version).toBe('1');
    // Random bytes: the size is checked before the zip is read.
    const huge = new Uint8Array(MAX_DIRECT_ZIP_BYTES + 1);
    for (let i = 0; i < huge.length; i += 4096) huge[i] = (i * 2654435761) >>> 24;
    await expect(deployFunction(client, { name: 'big', zip: huge })).rejects.toMatchObject({
      code: 'LAMBDA_PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(
        /^lambda: update code of big: RequestEntityTooLargeException: [^\n]+$/,
      ),
    });
    expect((await listVersions(client, 'big')).map((v) => [v.version, v.live])).toEqual([
      ['1', true],
    ]);
    expect(JSON.parse(await invokeFunction(client, 'big', 'live', '{}'))).toBe(1);
    await removeFunction(client, 'big');
  }, 60_000);
});
