/**
 * The Nacos payload codec: the one place that turns "a type name + a JSON object" into the
 * protobuf `Payload` envelope and back. Shared by the SDK gRPC server and the cluster
 * transport. No gRPC, no naming logic here.
 *
 * Wire facts (docs/protocol/grpc.md):
 * - `Metadata.type` is the simple class name of the body ("InstanceRequest", "ErrorResponse"),
 *   and is the ONLY thing either side uses to pick the decoder (1.2).
 * - `Payload.body` is a `google.protobuf.Any` whose `value` is the UTF-8 JSON of the object; its
 *   `type_url` is ignored on input. We send the type name there, like the Rust SDK (1.2).
 * - Per-request headers travel in `Metadata.headers`; the JSON body always carries `"headers":{}` (1.2).
 * - Responses must always carry `resultCode`, `errorCode`, `message`, `requestId` (string|null) and
 *   `success`: the Rust SDK fails to decode a response missing e.g. `errorCode` (1.3, 3.11).
 */
import { z } from 'zod';
import { InboundEnvelope } from './protobuf.js';

/** The envelope as handed to the protobuf serializer (proto-loader object, `keepCase: true`). */
export interface WirePayload {
  metadata: { type: string; clientIp: string; headers: Record<string, string> };
  body: { type_url: string; value: Buffer };
}

/** What the servers hand to grpc-js: a payload object, or Payload bytes already encoded (`protobuf.ts`). */
export type OutboundPayload = WirePayload | Buffer;

/**
 * The JSON text of an object, already encoded, in pieces that are concatenated on the wire: strings
 * and UTF-8 bytes (e.g. the cached bytes of a ServiceInfo). Lets a large reply be written into the
 * Payload with one copy of shared bytes instead of being built and encoded per request.
 */
export class JsonChunks {
  constructor(readonly chunks: readonly (string | Uint8Array)[]) {}

  text(): string {
    let out = '';
    for (const c of this.chunks) out += typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8');
    return out;
  }
}

/** Payload bytes of fixed replies, made on first use (see `fixedReply`). */
const fixedReplies = new WeakMap<TypedMessage, { bytes: Buffer | null }>();

/**
 * A reply that is the same for every request (e.g. InstanceResponse for registerInstance). The
 * server encodes it once and answers every later request with the same Payload bytes (grpc-js
 * copies them into each response frame).
 */
export function fixedReply(type: string, body: object | string): TypedMessage {
  const m: TypedMessage = Object.freeze({ type, body });
  fixedReplies.set(m, { bytes: null });
  return m;
}

/** The cached bytes slot of a fixed reply; undefined for any other message. */
export function fixedReplySlot(m: TypedMessage): { bytes: Buffer | null } | undefined {
  return fixedReplies.get(m);
}

/** A message before encoding: the class name and the body (an object, or pre-encoded JSON). */
export interface TypedMessage {
  readonly type: string;
  /** An object to serialise, or pre-encoded JSON of an object (a string, or JsonChunks). */
  readonly body: object | string;
}

/** The common `Response` fields (docs/protocol/grpc.md §3.11). */
export interface ResponseFields {
  resultCode: number;
  errorCode: number;
  message: string | null;
  requestId: string | null;
  success: boolean;
}

export const RESULT_SUCCESS = 200;
export const RESULT_FAIL = 500;
export const ERROR_RESPONSE_TYPE = 'ErrorResponse';

// ---------------------------------------------------------------------------------------------
// Encoding

/** JSON text of a body; a string is taken as already-encoded JSON and passed through untouched. */
export function bodyJson(body: object | string): string {
  if (typeof body === 'string') return body;
  return body instanceof JsonChunks ? body.text() : JSON.stringify(body);
}

/** Pre-encoded JSON (a string or JsonChunks) as is; an object body serialised. For `wire.encodePayload`. */
export function bodyWire(body: object | string): string | readonly (string | Uint8Array)[] {
  return body instanceof JsonChunks ? body.chunks : bodyJson(body);
}

export interface EncodeOptions {
  /** `Metadata.headers`; servers send none (docs/protocol/grpc.md §1.2). */
  headers?: Record<string, string>;
  /** `Metadata.clientIp`; servers send it empty on responses (docs/protocol/grpc.md §1.2). */
  clientIp?: string;
}

/**
 * Builds a `Payload`. `body` may be a pre-encoded JSON string (to avoid re-stringifying large,
 * shared bodies such as a ServiceInfo encoded once per revision). Throws if an object body cannot be
 * serialised (cycles, BigInt): callers at the edge catch that.
 */
export function encode(type: string, body: object | string, opts: EncodeOptions = {}): WirePayload {
  return {
    metadata: { type, clientIp: opts.clientIp ?? '', headers: opts.headers ?? {} },
    body: { type_url: type, value: Buffer.from(bodyJson(body), 'utf8') },
  };
}

export function encodeMessage(m: TypedMessage, opts?: EncodeOptions): WirePayload {
  return encode(m.type, m.body, opts);
}

/**
 * JSON of a server-to-client request: the body plus `"headers":{}` and a string `requestId`.
 * Rust silently drops pushes without `headers` or with a non-string `requestId` (docs/protocol/grpc.md §1.3, 3.10).
 *
 * For a pre-encoded string body the two fields are spliced in right after the opening brace,
 * without parsing the (possibly large) text. Contract: such a string must be a JSON object that
 * does not itself contain top-level `headers` or `requestId` keys (serde rejects duplicate fields).
 * Our values always win for object bodies.
 */
export function serverRequestJson(body: object | string, requestId: string): string {
  const prefix = `"headers":{},"requestId":${JSON.stringify(requestId)}`;
  if (body instanceof JsonChunks) body = body.text();
  if (typeof body !== 'string') return JSON.stringify({ ...body, headers: {}, requestId });
  const open = body.indexOf('{');
  if (open < 0 || body.slice(0, open).trim() !== '') {
    throw new TypeError('pre-encoded request body must be a JSON object');
  }
  const rest = body.slice(open + 1);
  // `{}` (or `{ }`) must not become `{"headers":{},"requestId":"1",}`.
  const sep = rest.trimStart().startsWith('}') ? '' : ',';
  return `{${prefix}${sep}${rest}`;
}

/**
 * `serverRequestJson` for any body; JsonChunks stay chunks (the shared bytes are not copied). Their
 * first chunk must be a string holding the opening brace and the first key (`{"module":…`).
 */
export function serverRequestBody(body: object | string, requestId: string): string | JsonChunks {
  if (!(body instanceof JsonChunks)) return serverRequestJson(body, requestId);
  const first = body.chunks[0];
  const m = typeof first === 'string' ? /^\s*\{\s*"/.exec(first) : null;
  if (!m || typeof first !== 'string') throw new TypeError('pre-encoded request chunks must start with a string holding `{"key`');
  const rest = first.slice(first.indexOf('{') + 1);
  return new JsonChunks([`{"headers":{},"requestId":${JSON.stringify(requestId)},${rest}`, ...body.chunks.slice(1)]);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Structural shape of an inbound Payload as proto-loader hands it over. Every field is optional:
 * proto3 omits empty fields, and a client may send an empty envelope.
 */
const InboundPayloadSchema = z.object({
  metadata: z
    .object({
      type: z.string().optional(),
      clientIp: z.string().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .nullish(),
  body: z
    .object({
      type_url: z.string().optional(),
      value: z.instanceof(Uint8Array).optional(),
    })
    .nullish(),
});

/** Everything of a Payload but the parsed body. `type` is `''` when the metadata is missing. */
export interface Envelope {
  type: string;
  headers: Record<string, string>;
  clientIp: string;
  bodyBytes: Uint8Array;
}

export type EnvelopeResult = ({ ok: true } & Envelope) | { ok: false; error: string };

/**
 * Checks an inbound Payload. The servers' own decoder (`protobuf.ts`) already yields typed fields, so an
 * `InboundEnvelope` passes straight through; anything else (a proto-loader object, e.g. on the
 * client side) goes through the full schema.
 */
export function decodeEnvelope(raw: unknown): EnvelopeResult {
  if (raw instanceof InboundEnvelope) {
    return { ok: true, type: raw.type, headers: raw.headers, clientIp: raw.clientIp, bodyBytes: raw.bodyBytes };
  }
  const p = InboundPayloadSchema.safeParse(raw);
  if (!p.success) return { ok: false, error: `Invalid payload: ${p.error.issues[0]?.message ?? 'malformed'}` };
  const md = p.data.metadata;
  return {
    ok: true,
    type: md?.type ?? '',
    headers: md?.headers ?? {},
    clientIp: md?.clientIp ?? '',
    bodyBytes: p.data.body?.value ?? new Uint8Array(0),
  };
}

export type BodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the JSON body. Anything but a JSON object is rejected, as the Java server does
 * ("Invalid request", docs/protocol/grpc.md §5.2); the error text is the parser's message otherwise.
 */
export function parseJsonBody(bytes: Uint8Array): BodyResult {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'Invalid request' };
  }
  return { ok: true, body: value as Record<string, unknown> };
}

export interface Decoded {
  type: string;
  headers: Record<string, string>;
  clientIp: string;
  body: Record<string, unknown>;
}

/** Both steps at once: `{ok:false}` carries the type when it was readable. */
export function decode(raw: unknown): ({ ok: true } & Decoded) | { ok: false; type: string; error: string } {
  const env = decodeEnvelope(raw);
  if (!env.ok) return { ok: false, type: '', error: env.error };
  const b = parseJsonBody(env.bodyBytes);
  if (!b.ok) return { ok: false, type: env.type, error: b.error };
  return { ok: true, type: env.type, headers: env.headers, clientIp: env.clientIp, body: b.body };
}

// ---------------------------------------------------------------------------------------------
// Responses (docs/protocol/grpc.md §3.11, 5)

/** A successful response body: the common fields, then `extra` (which may override `message`). */
export function okResponse<T extends object>(extra?: T): ResponseFields & T {
  return { resultCode: RESULT_SUCCESS, errorCode: 0, message: null, requestId: null, success: true, ...(extra as T) };
}

/**
 * A typed failure (docs/protocol/grpc.md §5.1 shape 1): the handler's own response type with resultCode 500. This is
 * what business and validation errors should use; e.g. auth failures use errorCode 403.
 */
export function typedFailure<T extends object>(errorCode: number, message: string, extra?: T): ResponseFields & T {
  return { ...(extra as T), resultCode: RESULT_FAIL, errorCode, message, requestId: null, success: false };
}

/** A transport-level `ErrorResponse` (docs/protocol/grpc.md §5.1 shape 2): resultCode 500, e.g. 300/301/302/502. */
export function errorResponse(errorCode: number, message: string): TypedMessage {
  const body: ResponseFields = { resultCode: RESULT_FAIL, errorCode, message, requestId: null, success: false };
  return { type: ERROR_RESPONSE_TYPE, body };
}

/**
 * An `ErrorResponse` for an exception thrown by a handler. Choice: we copy the Java server's quirk
 * (docs/protocol/grpc.md §5.1, `ErrorResponse.build(Throwable)`): `resultCode` equals `errorCode` (e.g. 400/400),
 * not 500. An error with a numeric `status` (NacosError) supplies the code; anything else is 500.
 * A status that would read as success (200) or is not an integer is mapped to 500 so the reply can
 * never be mistaken for a success.
 */
export function exceptionResponse(err: unknown): TypedMessage {
  let code = RESULT_FAIL;
  if (typeof err === 'object' && err !== null && 'status' in err) {
    const s = (err as { status: unknown }).status;
    if (typeof s === 'number' && Number.isInteger(s) && s !== RESULT_SUCCESS) code = s;
  }
  const message = err instanceof Error ? err.message : String(err);
  const body: ResponseFields = { resultCode: code, errorCode: code, message, requestId: null, success: false };
  return { type: ERROR_RESPONSE_TYPE, body };
}

/**
 * Fills in any common response field an object body lacks, so a handler that forgot one cannot
 * break strict (Rust) clients. `success` follows `resultCode` when absent.
 */
export function withResponseDefaults(body: object): object {
  const b = body as Partial<ResponseFields>;
  if (
    typeof b.resultCode === 'number' &&
    typeof b.errorCode === 'number' &&
    b.message !== undefined &&
    b.requestId !== undefined &&
    typeof b.success === 'boolean'
  ) {
    return body;
  }
  const resultCode = typeof b.resultCode === 'number' ? b.resultCode : RESULT_SUCCESS;
  return {
    ...body,
    resultCode,
    errorCode: typeof b.errorCode === 'number' ? b.errorCode : 0,
    message: b.message ?? null,
    requestId: b.requestId ?? null,
    success: typeof b.success === 'boolean' ? b.success : resultCode === RESULT_SUCCESS,
  };
}
