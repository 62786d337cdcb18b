import { Type } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';

/** The EMF specification's document structure (CloudWatch_Embedded_Metric_Format_Specification). */
const Directive = Type.Object(
  {
    Namespace: Type.String({ minLength: 1, maxLength: 1024 }),
    Dimensions: Type.Array(
      Type.Array(Type.String({ minLength: 1, maxLength: 250 }), { maxItems: 30 }),
    ),
    Metrics: Type.Array(
      Type.Object(
        {
          Name: Type.String({ minLength: 1, maxLength: 1024 }),
          Unit: Type.Optional(
            Type.Union(['Seconds', 'Bytes', 'Count', 'None'].map((u) => Type.Literal(u))),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);
const Document = Type.Object({
  _aws: Type.Object(
    {
      Timestamp: Type.Integer({ minimum: 0 }),
      CloudWatchMetrics: Type.Array(Directive, { minItems: 1 }),
    },
    { additionalProperties: false },
  ),
});

const DOCUMENT = Compile(Document);

/** Checks a line as CloudWatch Logs would: the schema, then every referenced member. */
export function checkEmf(line: string): Record<string, unknown> {
  const doc = JSON.parse(line) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  expect([...DOCUMENT.Errors(doc)].map((e) => `${e.instancePath}: ${e.message}`)).toEqual([]);
  for (const d of doc._aws.CloudWatchMetrics) {
    for (const name of d.Dimensions.flat()) expect(typeof doc[name]).toBe('string');
    for (const { Name } of d.Metrics) {
      const v = doc[Name];
      const ok =
        (typeof v === 'number' && Number.isFinite(v)) ||
        (Array.isArray(v) && v.length >= 1 && v.length <= 100 && v.every(Number.isFinite));
      expect({ Name, ok }).toEqual({ Name, ok: true });
    }
  }
  return doc;
}
