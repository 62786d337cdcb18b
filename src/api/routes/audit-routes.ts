import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { MAX_EXPORT_MS } from '../../security/audit/export.js';
import { actorOf } from '../authenticated-context.js';
import type { AuditDesk } from '../deps.js';
import { ProblemSchema, apiError } from '../problem.js';
import { QueryParams } from '../query-params.js';

const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

/** One audit row with its place in the hash chain. */
const AuditRow = Type.Object({
  seq: Type.Integer(),
  /** The time of the change as its writer stamped it (a replay's market time). */
  ts: Type.Integer(),
  /** When the log wrote the row (wall clock); `from`/`to` select by it. */
  wallTs: Type.Integer(),
  /** 1: a row from before wall times (its hash does not cover them); 2: every row since. */
  hashVersion: Type.Integer(),
  actor: Type.String(),
  role: Type.String(),
  action: Type.String(),
  subject: Type.String(),
  payload: Type.Unknown(),
  prevHash: Type.String(),
  hash: Type.String(),
});

/** The signed manifest of an export (public: row range, file hashes, the signature). */
const ManifestView = Type.Object(
  {
    format: Type.String(),
    version: Type.Integer(),
    from: Type.String(),
    to: Type.String(),
    rowCount: Type.Integer(),
    firstSeq: NullableInt,
    lastSeq: NullableInt,
    anchorHash: NullableString,
    firstHash: NullableString,
    lastHash: NullableString,
    files: Type.Array(
      Type.Object({ name: Type.String(), bytes: Type.Integer(), sha256: Type.String() }),
    ),
    createdAt: Type.String(),
    signature: Type.Object({
      algorithm: Type.String(),
      keyId: Type.String(),
      value: Type.String(),
    }),
  },
  { additionalProperties: true },
);

const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };
const END_OF_TIME = Number.MAX_SAFE_INTEGER;

/** What the audit routes use. */
export interface AuditRoutesOptions {
  readonly auditLog: AuditDesk;
}

/**
 * The audit log: read rows of a time range in `seq` order with their chain fields (keyset
 * pages: `after` is the last `seq` seen), and export a range as JSONL + CSV + a signed manifest
 * (written at once; the answer carries the manifest).
 */
export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/audit',
    {
      onRequest: app.requires('audit:read'),
      schema: {
        tags: ['audit'],
        querystring: Type.Object(
          {
            from: QueryParams.ms('first instant, inclusive'),
            to: QueryParams.ms('end instant, exclusive'),
            after: QueryParams.integer('the last seq seen: rows after it'),
            limit: QueryParams.limit(1000, 100),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ rows: Type.Array(AuditRow), next: NullableInt }),
          ...Problems,
        },
      },
    },
    async (req) => {
      const limit = Number(req.query.limit ?? 100);
      const rows = await opts.auditLog.page({
        from: Number(req.query.from ?? 0),
        to: Number(req.query.to ?? END_OF_TIME),
        after: Number(req.query.after ?? 0),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return { rows: page, next: rows.length > limit ? page.at(-1)!.seq : null };
    },
  );

  r.post(
    '/audit/exports',
    {
      onRequest: app.requires('audit:export', { live: true }),
      schema: {
        tags: ['audit'],
        body: Type.Object(
          {
            from: Type.Integer({
              minimum: 0,
              maximum: MAX_EXPORT_MS - 1,
              description: 'first instant, inclusive (ms)',
            }),
            to: Type.Integer({
              minimum: 1,
              maximum: MAX_EXPORT_MS,
              description: 'end instant, exclusive (ms)',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            status: Type.Literal('done'),
            manifest: ManifestView,
          }),
          ...Problems,
        },
      },
    },
    async (req, reply) => {
      const { from, to } = req.body;
      if (to <= from) throw apiError('VALIDATION', 'body.to: must be after body.from');
      const { id, manifest } = await opts.auditLog.export(from, to, actorOf(req.claims));
      return reply.code(201).send({
        id,
        status: 'done' as const,
        manifest: { ...manifest, files: [...manifest.files] },
      });
    },
  );
};
