/**
 * The `beat` parameter of `PUT /v1/ns/instance/beat` (docs/protocol/http.md §1.7, §5.5): JSON text of Nacos'
 * `RsInfo`. Unknown keys (`scheduled`, `load`, `cpu`, ...) are ignored as Jackson does; numbers may
 * arrive as JSON numbers or numeric strings (Jackson coerces both).
 */
import { z } from 'zod';
import { badRequest } from '../../core/errors.js';

const numeric = z.union([z.number(), z.string().trim().regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/).transform(Number)]);
const scalar = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);

const BeatSchema = z.looseObject({
  serviceName: z.string().nullish(),
  ip: z.string().nullish(),
  port: numeric.pipe(z.number().int()).nullish(),
  cluster: z.string().nullish(),
  weight: numeric.nullish(),
  ephemeral: z.boolean().nullish(),
  metadata: z.record(z.string(), scalar.nullable()).nullish(),
});

export interface ParsedBeat {
  serviceName?: string | undefined;
  ip?: string | undefined;
  port?: number | undefined;
  cluster?: string | undefined;
  weight?: number | undefined;
  ephemeral?: boolean | undefined;
  metadata?: Record<string, string> | undefined;
}

/** Parses the beat JSON; a malformed one is a 400 (Nacos answers its deserialisation failure with an error too). */
export function parseBeat(text: string): ParsedBeat {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest("Param 'beat' is illegal, it should be a JSON object.");
  }
  const r = BeatSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'beat';
    throw badRequest(`Param 'beat' is illegal, field '${field}' has a wrong type.`);
  }
  const b = r.data;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.metadata ?? {})) if (v !== null) metadata[k] = v;
  return {
    serviceName: b.serviceName ?? undefined,
    ip: b.ip?.trim() || undefined,
    port: b.port ?? undefined,
    cluster: b.cluster?.trim() || undefined,
    weight: b.weight ?? undefined,
    ephemeral: b.ephemeral ?? undefined,
    metadata: b.metadata ? metadata : undefined,
  };
}
