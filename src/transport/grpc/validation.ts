/**
 * Validation at the gRPC edge: the connection-level messages this layer reads itself
 * (ConnectionSetupRequest, acks) and `parseBody` for the handlers' request bodies.
 *
 * The connection-level schemas are lenient on purpose: SDKs send `null` for absent optionals
 * (docs/protocol/grpc.md §1.3), older Java clients send `abilities` instead of `abilityTable` (3.4), and a field of an
 * unexpected type must not stop a client from registering, so bad fields fall back to defaults.
 */
import { z } from 'zod';
import { NacosError } from '../../core/errors.js';
import type { SetupInfo } from './connections.js';

const SetupRequestSchema = z.object({
  clientVersion: z.string().nullish().catch(null),
  tenant: z.string().nullish().catch(null),
  labels: z.record(z.string(), z.unknown()).nullish().catch(null),
  // Only its presence matters: non-null => the client waits for a SetupAckRequest (docs/protocol/grpc.md §3.2).
  abilityTable: z.unknown().optional(),
});

/** Reads a ConnectionSetupRequest body (docs/protocol/grpc.md §3.4). Never throws. */
export function readSetup(body: Record<string, unknown>, metadataClientIp: string): SetupInfo {
  const s = SetupRequestSchema.parse(body);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.labels ?? {})) if (typeof v === 'string') labels[k] = v;
  return {
    clientIp: metadataClientIp,
    clientVersion: s.clientVersion ?? '',
    labels,
    namespace: s.tenant ?? null,
    appName: labels['AppName'] || '-',
    hasAbilityTable: s.abilityTable !== undefined && s.abilityTable !== null,
  };
}

const AckSchema = z.object({
  requestId: z.string().nullish().catch(null),
  // Java's Response initialises resultCode to 200, so an absent one reads as success.
  resultCode: z.number().optional().catch(undefined),
  errorCode: z.number().optional().catch(undefined),
  message: z.string().nullish().catch(null),
});

export interface Ack {
  requestId: string | null;
  resultCode: number;
  errorCode: number;
  message: string | null;
}

/** Reads a client's response on the bi-stream (docs/protocol/grpc.md §3.10). Never throws. */
export function readAck(body: Record<string, unknown>): Ack {
  // Fast path (one ack per push, 10k per change with 10k subscribers): the well-typed shape is
  // read directly; anything else goes through the lenient schema, which gives the same result.
  const { requestId, resultCode, errorCode, message } = body;
  if (
    (typeof requestId === 'string' || requestId === null || requestId === undefined) &&
    (resultCode === undefined || (typeof resultCode === 'number' && Number.isFinite(resultCode))) &&
    (errorCode === undefined || (typeof errorCode === 'number' && Number.isFinite(errorCode))) &&
    (typeof message === 'string' || message === null || message === undefined)
  ) {
    return { requestId: requestId ?? null, resultCode: resultCode ?? 200, errorCode: errorCode ?? 0, message: message ?? null };
  }
  const a = AckSchema.parse(body);
  return { requestId: a.requestId ?? null, resultCode: a.resultCode ?? 200, errorCode: a.errorCode ?? 0, message: a.message ?? null };
}

/**
 * Validates a request body against a handler's schema. Throws `NacosError(400)` with a readable
 * message, which the server turns into an ErrorResponse 400 (docs/protocol/grpc.md §5.2 "handler threw"). Handlers
 * that prefer a typed failure can catch it.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const detail = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
  throw new NacosError(400, `Invalid request: ${detail}`);
}
