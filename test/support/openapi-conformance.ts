import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Compile } from 'typebox/compile';

/** One answer the server sent, as a client saw it. */
export interface RecordedAnswer {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Records every HTTP answer `server` sends (status, content type, body), for `conformance`.
 * Listens before Fastify, and only reads what the response writes.
 */
export function recordAnswers(server: Server): RecordedAnswer[] {
  const answers: RecordedAnswer[] = [];
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let contentType = '';
    // Fastify passes its headers to writeHead, not through setHeader.
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.find((r) => typeof r === 'object' && r !== null) as
        Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(headers ?? {})) {
        if (k.toLowerCase() === 'content-type') contentType = String(v);
      }
      return writeHead(status, ...(rest as []));
    }) as typeof res.writeHead;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              chunk as string,
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            ),
      );
    };
    res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      keep(chunk, encoding);
      return write(chunk as never, encoding as never, cb as never);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown) => {
      keep(chunk, encoding);
      answers.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        status: res.statusCode,
        contentType: contentType || String(res.getHeader('content-type') ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      return end(chunk as never, encoding as never, cb as never);
    }) as typeof res.end;
  });
  return answers;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, walked by key
type Doc = any;

/**
 * Checks each answer against the OpenAPI document: the operation exists, the status is
 * declared, the content type is one the status declares, and the JSON body matches its schema.
 * Answers to routes the document hides (`/docs`, `/ws`) are skipped; an unknown route must be a
 * problem. Answers the list of mismatches (empty: every answer conforms).
 */
export function conformance(doc: Doc, answers: readonly RecordedAnswer[]): string[] {
  const routes = Object.keys(doc.paths as object)
    .map((p) => ({
      path: p,
      params: (p.match(/\{/g) ?? []).length,
      re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => a.params - b.params);
  const compiled = new Map<unknown, ReturnType<typeof Compile>>();
  const check = (schema: unknown, value: unknown): string | null => {
    let c = compiled.get(schema);
    if (!c) {
      c = Compile(jsonSchemaOf(schema) as never);
      compiled.set(schema, c);
    }
    if (c.Check(value)) return null;
    const e = [...c.Errors(value)][0];
    return `${e?.instancePath || '(root)'} ${e?.message ?? 'is invalid'}`;
  };
  const problems: string[] = [];
  for (const a of answers) {
    const pathOnly = a.url.split('?')[0]!;
    if (pathOnly.startsWith('/docs') || pathOnly === '/ws' || a.status === 101) continue;
    const at = `${a.method} ${a.url.slice(0, 80)} → ${a.status}`;
    const type = a.contentType.split(';')[0]!.trim();
    const route = routes.find((r) => r.re.test(pathOnly));
    const op = route ? doc.paths[route.path][a.method.toLowerCase()] : undefined;
    if (!op) {
      // No such operation: the not-found handler (or a router error) answers with a problem.
      if (type !== 'application/problem+json') problems.push(`${at}: undocumented, not a problem`);
      continue;
    }
    const declared = op.responses?.[String(a.status)] ?? op.responses?.default;
    if (!declared) {
      problems.push(`${at}: status not declared for ${a.method} ${route!.path}`);
      continue;
    }
    // A HEAD answer has no content (whatever the server wrote, none is sent).
    if (a.body === '' || a.method === 'HEAD') continue;
    const media = declared.content?.[type];
    if (!media) {
      const listed = Object.keys(declared.content ?? {}).join(', ') || 'no body';
      problems.push(`${at}: content type ${type || '(none)'} not declared (${listed})`);
      continue;
    }
    if (!type.endsWith('json') || !media.schema) continue;
    let value: unknown;
    try {
      value = JSON.parse(a.body);
    } catch {
      problems.push(`${at}: body is not JSON`);
      continue;
    }
    const why = check(media.schema, value);
    if (why) problems.push(`${at}: body ${why}`);
  }
  return problems;
}

/** OpenAPI 3.0's `nullable: true` as JSON Schema (`anyOf` with `null`), everywhere in a schema. */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k !== 'nullable') out[k] = jsonSchemaOf(v);
  }
  return (schema as { nullable?: boolean }).nullable ? { anyOf: [out, { type: 'null' }] } : out;
}
