import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';
import { lambdaError } from './lambda-errors.js';
import { LAMBDA_HANDLER, LAMBDA_RUNTIME, LIVE_ALIAS } from './strategy-manifest.js';

// The alias a deploy moves and `--lambda name` runs by default (with the function's contract).
export { LIVE_ALIAS } from './strategy-manifest.js';

/**
 * Invokes a function (RequestResponse) with a JSON text payload and answers the function's JSON
 * text. A function error is a `KairosError`: `LAMBDA_TIMEOUT` (the function's timeout passed),
 * else `LAMBDA_FUNCTION_ERROR` (it crashed, ran out of memory, or its handler threw); API errors
 * as `lambdaError` says.
 *
 * @example
 * const text = await invokeFunction(client, 'sma', 'live', JSON.stringify(step));
 */
export async function invokeFunction(
  client: LambdaClient,
  name: string,
  qualifier: string | undefined,
  payload: string,
): Promise<string> {
  const target = qualifier ? `${name}:${qualifier}` : name;
  let out;
  try {
    out = await client.send(
      new InvokeCommand({
        FunctionName: name,
        ...(qualifier ? { Qualifier: qualifier } : {}),
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(payload),
      }),
    );
  } catch (e) {
    throw lambdaError(e, `invoke ${target}`);
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let detail: { errorType?: string; errorMessage?: string } = {};
    try {
      detail = JSON.parse(text) as typeof detail;
    } catch {
      detail = { errorMessage: text.slice(0, 200) };
    }
    const timedOut =
      detail.errorType === 'Sandbox.Timedout' || /timed out/i.test(detail.errorMessage ?? '');
    throw new KairosError(
      timedOut ? 'LAMBDA_TIMEOUT' : 'LAMBDA_FUNCTION_ERROR',
      `lambda: invoke ${target}: ${detail.errorType ?? out.FunctionError}: ${detail.errorMessage ?? ''}`.trim(),
    );
  }
  return text;
}

/** What a deploy did. */
export interface DeployResult {
  readonly name: string;
  readonly created: boolean;
  readonly version: string;
  /** The version `live` pointed to before (null: no alias yet). */
  readonly previousVersion: string | null;
  /** base64 sha256 of the zip, as Lambda reports it. */
  readonly codeSha256: string;
}

/** What a deploy sets. */
export interface DeploySettings {
  readonly name: string;
  readonly zip: Uint8Array;
  readonly role?: string;
  readonly memoryMb?: number;
  readonly timeoutS?: number;
  readonly description?: string;
}

async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw lambdaError(e, what);
  }
}

async function exists(client: LambdaClient, name: string): Promise<boolean> {
  try {
    await client.send(new GetFunctionCommand({ FunctionName: name }));
    return true;
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') return false;
    throw lambdaError(e, `get function ${name}`);
  }
}

/** The version an alias points to, or null when there is no such alias. */
export async function aliasVersion(
  client: LambdaClient,
  name: string,
  alias: string = LIVE_ALIAS,
): Promise<string | null> {
  try {
    const a = await client.send(new GetAliasCommand({ FunctionName: name, Name: alias }));
    return a.FunctionVersion ?? null;
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') return null;
    throw lambdaError(e, `get alias ${name}:${alias}`);
  }
}

async function pointAlias(
  client: LambdaClient,
  name: string,
  version: string,
  before: string | null,
) {
  if (before === null)
    await send(`create alias ${name}:${LIVE_ALIAS}`, () =>
      client.send(
        new CreateAliasCommand({ FunctionName: name, Name: LIVE_ALIAS, FunctionVersion: version }),
      ),
    );
  else
    await send(`update alias ${name}:${LIVE_ALIAS}`, () =>
      client.send(
        new UpdateAliasCommand({ FunctionName: name, Name: LIVE_ALIAS, FunctionVersion: version }),
      ),
    );
}

/**
 * Creates the function or updates its code (and memory and timeout when given), waits until
 * the update is done, publishes an immutable version of exactly this zip (`CodeSha256` checked)
 * and only then moves the alias `live` to it: a failed step leaves the alias where it was.
 *
 * @example
 * const r = await deployFunction(client, { name: 'sma', zip, role, memoryMb: 256, timeoutS: 10 });
 */
export async function deployFunction(
  client: LambdaClient,
  s: DeploySettings,
): Promise<DeployResult> {
  const codeSha256 = createHash('sha256').update(s.zip).digest('base64');
  const created = !(await exists(client, s.name));
  if (created) {
    if (!s.role)
      throw new KairosError(
        'LAMBDA_ROLE_REQUIRED',
        `lambda: creating function ${s.name} needs the IAM role ARN Lambda assumes: --role, or LAMBDA_ROLE_ARN`,
      );
    await send(`create function ${s.name}`, () =>
      client.send(
        new CreateFunctionCommand({
          FunctionName: s.name,
          Runtime: LAMBDA_RUNTIME,
          Handler: LAMBDA_HANDLER,
          Role: s.role,
          Code: { ZipFile: s.zip },
          MemorySize: s.memoryMb ?? 256,
          Timeout: s.timeoutS ?? 10,
          Description: s.description ?? '',
          Publish: false,
        }),
      ),
    );
  } else {
    await send(`update code of ${s.name}`, () =>
      client.send(
        new UpdateFunctionCodeCommand({ FunctionName: s.name, ZipFile: s.zip, Publish: false }),
      ),
    );
    await settle(client, s.name);
    if (s.memoryMb !== undefined || s.timeoutS !== undefined || s.role !== undefined)
      await send(`update configuration of ${s.name}`, () =>
        client.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: s.name,
            ...(s.memoryMb !== undefined ? { MemorySize: s.memoryMb } : {}),
            ...(s.timeoutS !== undefined ? { Timeout: s.timeoutS } : {}),
            ...(s.role !== undefined ? { Role: s.role } : {}),
          }),
        ),
      );
  }
  await settle(client, s.name);
  const published = await send(`publish version of ${s.name}`, () =>
    client.send(
      new PublishVersionCommand({
        FunctionName: s.name,
        CodeSha256: codeSha256,
        Description: s.description,
      }),
    ),
  );
  const version = published.Version;
  if (!version || published.CodeSha256 !== codeSha256)
    throw new KairosError(
      'LAMBDA_CONFLICT',
      `lambda: publish version of ${s.name}: the published code is not this zip`,
    );
  const previousVersion = await aliasVersion(client, s.name);
  await pointAlias(client, s.name, version, previousVersion);
  return { name: s.name, created, version, previousVersion, codeSha256 };
}

/** Waits until a function's last update is done (AWS applies code and configuration asynchronously). */
async function settle(client: LambdaClient, name: string): Promise<void> {
  await send(`wait for ${name} to update`, async () => {
    const r = await waitUntilFunctionUpdatedV2(
      { client, maxWaitTime: 300, minDelay: 1, maxDelay: 5 },
      { FunctionName: name },
    );
    if (r.state !== 'SUCCESS')
      throw new KairosError('LAMBDA_REQUEST', `lambda: ${name}: update ${r.state.toLowerCase()}`);
  });
}

/** One published version of a function. */
export interface FunctionVersionInfo {
  readonly version: string;
  readonly codeSha256: string;
  readonly lastModified: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutS: number;
  readonly live: boolean;
}

/**
 * The published versions of a function (not `$LATEST`), oldest first, the one `live` points to
 * marked.
 *
 * @example
 * for (const v of await listVersions(client, 'sma')) console.log(v.version, v.live);
 */
export async function listVersions(
  client: LambdaClient,
  name: string,
): Promise<FunctionVersionInfo[]> {
  const live = await aliasVersion(client, name);
  const all: FunctionVersionInfo[] = [];
  let marker: string | undefined;
  do {
    const page = await send(`list versions of ${name}`, () =>
      client.send(
        new ListVersionsByFunctionCommand({
          FunctionName: name,
          ...(marker ? { Marker: marker } : {}),
        }),
      ),
    );
    for (const v of page.Versions ?? []) {
      if (!v.Version || v.Version === '$LATEST') continue;
      all.push({
        version: v.Version,
        codeSha256: v.CodeSha256 ?? '',
        lastModified: v.LastModified ?? '',
        description: v.Description ?? '',
        memoryMb: v.MemorySize ?? 0,
        timeoutS: v.Timeout ?? 0,
        live: v.Version === live,
      });
    }
    marker = page.NextMarker;
  } while (marker);
  return all.sort((a, b) => Number(a.version) - Number(b.version));
}

/**
 * Moves `live` to a published version (checked to exist first); answers the version it left.
 *
 * @example
 * const from = await rollbackAlias(client, 'sma', '3');
 */
export async function rollbackAlias(
  client: LambdaClient,
  name: string,
  version: string,
): Promise<string | null> {
  if (!/^[1-9]\d*$/.test(version))
    throw new KairosError(
      'USAGE',
      `--to: must be a published version number, was ${JSON.stringify(version)}`,
    );
  await send(`get ${name}:${version}`, () =>
    client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: version })),
  );
  const before = await aliasVersion(client, name);
  await pointAlias(client, name, version, before);
  return before;
}

/**
 * Deletes a function, its versions and aliases.
 *
 * @example
 * await removeFunction(client, 'sma');
 */
export async function removeFunction(client: LambdaClient, name: string): Promise<void> {
  await send(`delete function ${name}`, () =>
    client.send(new DeleteFunctionCommand({ FunctionName: name })),
  );
}

/**
 * Checks a function's alias or version exists (`LAMBDA_NOT_FOUND` naming it, if not); answers
 * the version it names now (an alias's target; `$LATEST` for the unpublished code) and that
 * version's description.
 *
 * @example
 * const { version } = await checkFunction(client, 'sma', 'live'); // '3'
 */
export async function checkFunction(
  client: LambdaClient,
  name: string,
  qualifier: string,
): Promise<{ version: string; description: string }> {
  const got = await send(`function ${name}:${qualifier}`, () =>
    client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier })),
  );
  return {
    version: got.Configuration?.Version ?? qualifier,
    description: got.Configuration?.Description ?? '',
  };
}
