import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LambdaSandbox } from './lambda-sandbox.js';
import { MAX_DIRECT_ZIP_BYTES, readZip } from './lambda-zip.js';

/** Lambda's limit for a synchronous invocation's request and response payloads. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const ACCOUNT = '000000000000';

interface CodeAndConfig {
  readonly role: string;
  readonly runtime: string;
  readonly handler: string;
  readonly timeoutS: number;
  readonly memoryMb: number;
  readonly description: string;
  readonly zip: Uint8Array;
  readonly codeSha256: string;
  readonly lastModified: string;
}

interface FunctionVersion extends CodeAndConfig {
  readonly version: string;
  readonly revisionId: string;
}

interface Alias {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly revisionId: string;
}

interface LocalFunction {
  readonly name: string;
  latest: FunctionVersion;
  readonly versions: FunctionVersion[];
  readonly aliases: Map<string, Alias>;
  nextVersion: number;
}

/** An error as Lambda's REST API answers it: a status and the type in `x-amzn-ErrorType`. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (what: string) =>
  new ApiError(404, 'ResourceNotFoundException', `Function not found: ${what}`);
const invalid = (message: string) => new ApiError(400, 'InvalidParameterValueException', message);

/** Where a running local endpoint listens, and how to stop it. */
export interface LocalLambda {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** How the local endpoint starts. */
export interface LocalLambdaOptions {
  readonly port?: number;
  readonly host?: string;
  /** Where function code is unpacked for the workers (a fresh folder per start). */
  readonly workDir: string;
  readonly region?: string;
  readonly log?: (line: string) => void;
}

/**
 * A local Lambda endpoint speaking the REST API `@aws-sdk/client-lambda` uses, so the SDK talks
 * to it unchanged (point it at the URL; any credentials). Control plane: CreateFunction,
 * GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration,
 * PublishVersion, ListVersionsByFunction, CreateAlias, GetAlias, UpdateAlias, ListAliases,
 * DeleteFunction. Invoke (RequestResponse) runs the zip's handler in a worker thread per
 * version (`LambdaSandbox`), under the function's timeout and memory. Functions live in memory.
 * Signatures are not checked, only their region (a request signed for another region is
 * refused as AWS refuses it): it is a test and development endpoint on 127.0.0.1.
 *
 * @example
 * const lambda = await startLocalLambda({ port: 0, workDir: 'var/lambda' });
 * const client = new LambdaClient({ endpoint: lambda.url, region: 'us-east-1' });
 */
export async function startLocalLambda(options: LocalLambdaOptions): Promise<LocalLambda> {
  const region = options.region ?? 'us-east-1';
  const functions = new Map<string, LocalFunction>();
  const sandboxes = new Map<string, LambdaSandbox>();
  const workDir = path.resolve(options.workDir);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  let revision = 0;
  const arn = (name: string, q?: string) =>
    `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}${q ? `:${q}` : ''}`;

  const configOf = (fn: LocalFunction, v: FunctionVersion) => ({
    FunctionName: fn.name,
    FunctionArn: arn(fn.name, v.version === '$LATEST' ? undefined : v.version),
    Runtime: v.runtime,
    Role: v.role,
    Handler: v.handler,
    CodeSize: v.zip.byteLength,
    Description: v.description,
    Timeout: v.timeoutS,
    MemorySize: v.memoryMb,
    LastModified: v.lastModified,
    CodeSha256: v.codeSha256,
    Version: v.version,
    RevisionId: v.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  });
  const aliasOf = (fn: LocalFunction, a: Alias) => ({
    AliasArn: arn(fn.name, a.name),
    Name: a.name,
    FunctionVersion: a.version,
    Description: a.description,
    RevisionId: a.revisionId,
  });
  const find = (name: string): LocalFunction => {
    const fn = functions.get(name);
    if (!fn) throw notFound(arn(name));
    return fn;
  };
  /** The version a qualifier (none, $LATEST, a number, an alias) names. */
  const resolve = (fn: LocalFunction, qualifier: string | null): FunctionVersion => {
    if (qualifier === null || qualifier === '$LATEST') return fn.latest;
    const alias = fn.aliases.get(qualifier);
    const version = alias ? alias.version : qualifier;
    if (version === '$LATEST') return fn.latest;
    const v = fn.versions.find((x) => x.version === version);
    if (!v) throw notFound(arn(fn.name, qualifier));
    return v;
  };
  const code = (body: Record<string, unknown>): { zip: Uint8Array; codeSha256: string } => {
    const b64 = body.ZipFile;
    if (typeof b64 !== 'string')
      throw invalid('Code.ZipFile: required (S3 code is not supported here)');
    const zip = Buffer.from(b64, 'base64');
    if (zip.byteLength > MAX_DIRECT_ZIP_BYTES)
      throw new ApiError(
        413,
        'RequestEntityTooLargeException',
        'Request must be smaller than 69905067 bytes for the CreateFunction operation',
      );
    let files: Record<string, Uint8Array>;
    try {
      files = readZip(zip);
    } catch {
      throw invalid(
        'Could not unzip uploaded file. Please check your file, then try to upload again.',
      );
    }
    if (!files['index.mjs'] && !files['index.js'])
      throw invalid('The zip holds no index.mjs (the handler index.handler needs it)');
    return { zip, codeSha256: createHash('sha256').update(zip).digest('base64') };
  };
  const settings = (body: Record<string, unknown>, base?: CodeAndConfig) => {
    const timeoutS = body.Timeout ?? base?.timeoutS ?? 3;
    const memoryMb = body.MemorySize ?? base?.memoryMb ?? 128;
    if (
      typeof timeoutS !== 'number' ||
      !Number.isInteger(timeoutS) ||
      timeoutS < 1 ||
      timeoutS > 900
    )
      throw invalid('Timeout: must be an integer 1-900 (seconds)');
    if (
      typeof memoryMb !== 'number' ||
      !Number.isInteger(memoryMb) ||
      memoryMb < 128 ||
      memoryMb > 10240
    )
      throw invalid('MemorySize: must be an integer 128-10240 (MB)');
    return {
      role: String(body.Role ?? base?.role ?? ''),
      runtime: String(body.Runtime ?? base?.runtime ?? 'nodejs20.x'),
      handler: String(body.Handler ?? base?.handler ?? 'index.handler'),
      timeoutS,
      memoryMb,
      description: String(body.Description ?? base?.description ?? ''),
    };
  };
  const now = () => new Date().toISOString().replace('Z', '+0000');
  const rev = () => `${++revision}-${randomUUID()}`;

  const publish = (fn: LocalFunction, body: Record<string, unknown>): FunctionVersion => {
    const l = fn.latest;
    if (typeof body.CodeSha256 === 'string' && body.CodeSha256 !== l.codeSha256)
      throw new ApiError(
        412,
        'PreconditionFailedException',
        `CodeSha256 ${body.CodeSha256} does not match the function's code (${l.codeSha256})`,
      );
    const last = fn.versions.at(-1);
    // Nothing changed since the last version: Lambda answers that version.
    if (
      last &&
      last.codeSha256 === l.codeSha256 &&
      last.timeoutS === l.timeoutS &&
      last.memoryMb === l.memoryMb &&
      last.handler === l.handler &&
      last.runtime === l.runtime
    )
      return last;
    const v: FunctionVersion = {
      ...l,
      description: typeof body.Description === 'string' ? body.Description : l.description,
      version: String(fn.nextVersion++),
      revisionId: rev(),
    };
    fn.versions.push(v);
    return v;
  };

  const sandbox = async (fn: LocalFunction, v: FunctionVersion): Promise<LambdaSandbox> => {
    const key = `${fn.name}\n${v.version}\n${v.codeSha256}\n${v.revisionId}`;
    let box = sandboxes.get(key);
    if (box) return box;
    const dir = path.join(workDir, createHash('sha256').update(key).digest('hex').slice(0, 24));
    await mkdir(dir, { recursive: true });
    const files = readZip(v.zip);
    for (const [name, data] of Object.entries(files)) {
      if (name.endsWith('/')) continue;
      const file = path.join(dir, name);
      if (!file.startsWith(dir + path.sep)) continue; // no path out of the folder
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, data);
    }
    const [moduleName, exportName] = v.handler.split('.') as [string, string];
    const file = files[`${moduleName}.mjs`] ? `${moduleName}.mjs` : `${moduleName}.js`;
    box = new LambdaSandbox({
      file: path.join(dir, file),
      export: exportName ?? 'handler',
      name: fn.name,
      version: v.version,
      timeoutS: v.timeoutS,
      memoryMb: v.memoryMb,
    });
    sandboxes.set(key, box);
    return box;
  };
  const dropSandboxes = async (name: string) => {
    for (const [key, box] of sandboxes)
      if (key.startsWith(`${name}\n`)) {
        sandboxes.delete(key);
        await box.close();
      }
  };

  type Answer = { status: number; body?: unknown; raw?: string; headers?: Record<string, string> };
  const route = async (method: string, url: URL, text: string): Promise<Answer> => {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== '2015-03-31' || parts[1] !== 'functions')
      throw new ApiError(
        404,
        'UnknownOperationException',
        `no such operation: ${method} ${url.pathname}`,
      );
    const body = (): Record<string, unknown> => {
      try {
        return text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        throw invalid('the request body is not JSON');
      }
    };
    const q = url.searchParams.get('Qualifier');
    if (parts.length === 2) {
      if (method === 'POST') {
        const b = body();
        const name = b.FunctionName;
        if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
          throw invalid('FunctionName: 1-64 letters, digits, - or _');
        if (functions.has(name))
          throw new ApiError(409, 'ResourceConflictException', `Function already exist: ${name}`);
        const latest: FunctionVersion = {
          ...settings(b),
          ...code((b.Code ?? {}) as Record<string, unknown>),
          lastModified: now(),
          version: '$LATEST',
          revisionId: rev(),
        };
        const fn: LocalFunction = {
          name,
          latest,
          versions: [],
          aliases: new Map(),
          nextVersion: 1,
        };
        functions.set(name, fn);
        const v = b.Publish === true ? publish(fn, {}) : latest;
        return { status: 201, body: configOf(fn, v) };
      }
      if (method === 'GET')
        return {
          status: 200,
          body: { Functions: [...functions.values()].map((f) => configOf(f, f.latest)) },
        };
    }
    const fn = find(parts[2]!.replace(/^arn:aws:lambda:[^:]*:[^:]*:function:/, ''));
    const sub = parts[3];
    if (sub === undefined) {
      if (method === 'GET') {
        const v = resolve(fn, q);
        return {
          status: 200,
          body: {
            Configuration: configOf(fn, v),
            Code: {
              RepositoryType: 'S3',
              Location: `${url.origin}/__code/${fn.name}/${v.version}`,
            },
          },
        };
      }
      if (method === 'DELETE') {
        if (q !== null && q !== '$LATEST') {
          const i = fn.versions.findIndex((v) => v.version === q);
          if (i < 0) throw notFound(arn(fn.name, q));
          if ([...fn.aliases.values()].some((a) => a.version === q))
            throw new ApiError(
              409,
              'ResourceConflictException',
              `version ${q} has an alias pointing to it`,
            );
          fn.versions.splice(i, 1);
        } else {
          functions.delete(fn.name);
          await dropSandboxes(fn.name);
        }
        return { status: 204 };
      }
    }
    if (sub === 'configuration') {
      if (method === 'GET') return { status: 200, body: configOf(fn, resolve(fn, q)) };
      if (method === 'PUT') {
        fn.latest = {
          ...fn.latest,
          ...settings(body(), fn.latest),
          lastModified: now(),
          revisionId: rev(),
        };
        return { status: 200, body: configOf(fn, fn.latest) };
      }
    }
    if (sub === 'code' && method === 'PUT') {
      const b = body();
      fn.latest = { ...fn.latest, ...code(b), lastModified: now(), revisionId: rev() };
      const v = b.Publish === true ? publish(fn, {}) : fn.latest;
      return { status: 200, body: configOf(fn, v) };
    }
    if (sub === 'versions') {
      if (method === 'POST') return { status: 201, body: configOf(fn, publish(fn, body())) };
      if (method === 'GET')
        return {
          status: 200,
          body: { Versions: [fn.latest, ...fn.versions].map((v) => configOf(fn, v)) },
        };
    }
    if (sub === 'aliases') {
      const aliasName = parts[4];
      if (aliasName === undefined && method === 'POST') {
        const b = body();
        const name = String(b.Name ?? '');
        if (!/^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$/.test(name))
          throw invalid('Name: an alias name, not a number');
        if (fn.aliases.has(name))
          throw new ApiError(
            409,
            'ResourceConflictException',
            `Alias already exists: ${arn(fn.name, name)}`,
          );
        const version = String(b.FunctionVersion ?? '');
        resolve(fn, version);
        const a: Alias = {
          name,
          version,
          description: String(b.Description ?? ''),
          revisionId: rev(),
        };
        fn.aliases.set(name, a);
        return { status: 201, body: aliasOf(fn, a) };
      }
      if (aliasName === undefined && method === 'GET')
        return {
          status: 200,
          body: { Aliases: [...fn.aliases.values()].map((a) => aliasOf(fn, a)) },
        };
      const a = aliasName === undefined ? undefined : fn.aliases.get(aliasName);
      if (!a)
        throw new ApiError(
          404,
          'ResourceNotFoundException',
          `Alias not found: ${arn(fn.name, aliasName)}`,
        );
      if (method === 'GET') return { status: 200, body: aliasOf(fn, a) };
      if (method === 'PUT') {
        const b = body();
        if (typeof b.RevisionId === 'string' && b.RevisionId !== a.revisionId)
          throw new ApiError(
            412,
            'PreconditionFailedException',
            'The Revision Id provided does not match the latest Revision Id',
          );
        const version = typeof b.FunctionVersion === 'string' ? b.FunctionVersion : a.version;
        resolve(fn, version);
        const next: Alias = {
          ...a,
          version,
          description: typeof b.Description === 'string' ? b.Description : a.description,
          revisionId: rev(),
        };
        fn.aliases.set(a.name, next);
        return { status: 200, body: aliasOf(fn, next) };
      }
      if (method === 'DELETE') {
        fn.aliases.delete(a.name);
        return { status: 204 };
      }
    }
    if (sub === 'invocations' && method === 'POST') {
      const type = url.searchParams.get('x-amz-invocation-type');
      if (type && type !== 'RequestResponse')
        throw invalid(`invocation type ${type}: only RequestResponse here`);
      if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES)
        throw new ApiError(
          413,
          'RequestTooLargeException',
          'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
        );
      const v = resolve(fn, q);
      const r = await (await sandbox(fn, v)).invoke(text || 'null');
      const headers = { 'X-Amz-Executed-Version': v.version };
      if (r.ok) {
        if (Buffer.byteLength(r.payload) > MAX_PAYLOAD_BYTES)
          return {
            status: 200,
            raw: JSON.stringify({
              errorType: 'Function.ResponseSizeTooLarge',
              errorMessage:
                'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
            }),
            headers: { ...headers, 'X-Amz-Function-Error': 'Unhandled' },
          };
        return { status: 200, raw: r.payload, headers };
      }
      return {
        status: 200,
        raw: JSON.stringify({ errorType: r.errorType, errorMessage: r.errorMessage }),
        headers: { ...headers, 'X-Amz-Function-Error': 'Unhandled' },
      };
    }
    throw new ApiError(
      404,
      'UnknownOperationException',
      `no such operation: ${method} ${url.pathname}`,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.byteLength;
      if (size <= MAX_DIRECT_ZIP_BYTES * 2) chunks.push(c);
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    // The SDK sends the invocation type as a header; keep it with the query for `route`.
    const invocationType = req.headers['x-amz-invocation-type'];
    if (typeof invocationType === 'string')
      url.searchParams.set('x-amz-invocation-type', invocationType);
    let answer: Answer;
    try {
      if (size > MAX_DIRECT_ZIP_BYTES * 2)
        throw new ApiError(413, 'RequestEntityTooLargeException', 'Request entity too large');
      // As AWS answers a request signed for another region than the endpoint's.
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/lambda\/aws4_request/.exec(
        String(req.headers.authorization ?? ''),
      );
      if (scope && scope[1] !== region)
        throw new ApiError(
          403,
          'InvalidSignatureException',
          `Credential should be scoped to a valid region, not '${scope[1]}'. `,
        );
      answer = await route(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      const err =
        e instanceof ApiError ? e : new ApiError(500, 'ServiceException', (e as Error).message);
      answer = {
        status: err.status,
        body: { Type: 'User', message: err.message },
        headers: { 'x-amzn-ErrorType': err.type },
      };
    }
    options.log?.(`${req.method} ${url.pathname} -> ${answer.status}`);
    const text = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'x-amzn-RequestId': randomUUID(),
      ...answer.headers,
    });
    res.end(text);
  };

  const server = createServer((req, res) => void handle(req, res));
  // Longer than the SDK keeps an idle socket, so a reused one is never reset under it.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    port,
    close: async () => {
      for (const box of sandboxes.values()) await box.close();
      sandboxes.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
