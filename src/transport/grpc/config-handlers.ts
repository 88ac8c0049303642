/**
 * Config request handlers for the SDK gRPC port (docs/protocol/config.md §2.2–2.4): each validates
 * its body (schema, then Nacos' parameter checker), calls one ConfigCenter use case and answers the
 * exact response type the SDKs expect. Rust sends `null` for absent optionals, so every optional
 * accepts null.
 */
import { z } from 'zod';
import { badRequest, NacosError } from '../../core/errors.js';
import { normalizeTenant } from '../../config-center/config-keys.js';
import type { ClientLabels, ConfigCenter, ConfigRecord, ConfigView } from '../../config-center/types.js';
import { paramCheck } from '../../config-center/validation.js';
import { fixedReply, type TypedMessage } from '../../wire/codec.js';
import type { RequestContext, RequestHandler } from './sdk-server.js';
import { parseBody } from './validation.js';

const optStr = z.string().nullish();
const keyFields = { dataId: optStr, group: optStr, tenant: optStr };
const querySchema = z.object({ ...keyFields, tag: optStr });
const publishSchema = z.object({
  ...keyFields,
  content: optStr,
  casMd5: optStr,
  additionMap: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String).nullish()).nullish(),
});
const removeSchema = z.object({ ...keyFields, tag: optStr });

type QueryBody = z.output<typeof querySchema>;
const isOptStr = (v: unknown): v is string | null | undefined => v === undefined || v === null || typeof v === 'string';

/**
 * The query body: the well-typed shape (every field a string, null or absent: what the SDKs send)
 * is read directly, anything else goes through the schema, which gives the same result or the 400.
 * Exported for the differential test.
 */
export function queryBody(body: unknown): QueryBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return parseBody(querySchema, body);
  const { dataId, group, tenant, tag } = body as Readonly<Record<string, unknown>>;
  if (isOptStr(dataId) && isOptStr(group) && isOptStr(tenant) && isOptStr(tag)) return { dataId, group, tenant, tag };
  return parseBody(querySchema, body);
}

/** Request type → the response type its answers (and typed failures) carry. */
export const CONFIG_RESPONSE_TYPES: Readonly<Record<string, string>> = {
  ConfigQueryRequest: 'ConfigQueryResponse',
  ConfigPublishRequest: 'ConfigPublishResponse',
  ConfigRemoveRequest: 'ConfigRemoveResponse',
  ConfigBatchListenRequest: 'ConfigChangeBatchListenResponse',
  ConfigFuzzyWatchRequest: 'ConfigFuzzyWatchResponse',
};

export const CONFIG_NOT_FOUND = 'config data not exist';
const PARAM_CHECK_PREFIX = 'Param check invalid:';

/**
 * Fields every ConfigQueryResponse carries, also on failures: the Rust SDK cannot decode an answer
 * without `lastModified` and `beta` (docs/protocol/config.md §2.2).
 */
export const QUERY_FAILURE_FIELDS = { content: null, md5: null, contentType: null, encryptedDataKey: null, lastModified: 0, beta: false } as const;

const ok = (type: string, extra: object = {}): TypedMessage => ({
  type,
  body: { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true, ...extra },
});

export const failure = (type: string, errorCode: number, message: string, extra: object = {}): TypedMessage => ({
  type,
  body: { resultCode: 500, errorCode, message, requestId: null, success: false, ...extra },
});

/** The parameter checker (docs/protocol/config.md §1.4): a 400 `Param check invalid:<text>`. */
function checkParams(b: { dataId?: string | null; group?: string | null; tenant?: string | null }, chars: boolean): void {
  const why = paramCheck(b, chars);
  if (why !== null) throw badRequest(`${PARAM_CHECK_PREFIX}${why}`);
}

/** The tag a connection carries as its `app_Vipserver-Tag` setup label (Java's app labels). */
function connectionTag(rc: RequestContext): string | undefined {
  const t = rc.connection.labels['app_Vipserver-Tag'];
  return t !== undefined && t !== '' ? t : undefined;
}

/**
 * Encoded answers of formal (non-gray, stored as is) configs, per stored record: a config read a
 * thousand times between two changes is answered with the same Payload bytes (`fixedReply`: the
 * server encodes it once), not by escaping its content into JSON every time. Records are
 * immutable (a change stores a new one), so an entry can never be stale; it dies with its record.
 * Bounded by content size: past `READ_CACHE_CHARS` the whole cache is dropped and refilled.
 */
const READ_CACHE_CHARS = 16 * 1024 * 1024;
let readCache = new WeakMap<ConfigRecord, TypedMessage>();
let readCacheChars = 0;

/** Whether `v` is exactly its stored record (not a gray variant, not decrypted). */
function isRecordView(v: ConfigView): v is ConfigView & { record: ConfigRecord } {
  const r = v.record;
  return (
    r !== null &&
    !v.beta &&
    v.tag === undefined &&
    v.content === r.content &&
    v.md5 === r.md5 &&
    v.type === r.type &&
    v.encryptedDataKey === r.encryptedDataKey &&
    v.lastModified === r.modifyTime
  );
}

function cachedQueryAnswer(v: ConfigView): TypedMessage {
  if (!isRecordView(v)) return queryAnswer(v);
  const hit = readCache.get(v.record);
  if (hit) return hit;
  if (readCacheChars + v.content.length > READ_CACHE_CHARS) {
    readCache = new WeakMap();
    readCacheChars = 0;
  }
  const m = fixedReply('ConfigQueryResponse', queryAnswer(v).body);
  readCache.set(v.record, m);
  readCacheChars += v.content.length;
  return m;
}

function queryAnswer(v: ConfigView): TypedMessage {
  const extra: Record<string, unknown> = {
    content: v.content,
    md5: v.md5,
    contentType: v.type,
    encryptedDataKey: v.encryptedDataKey,
    lastModified: v.lastModified,
    beta: v.beta,
  };
  if (v.tag !== undefined) extra['tag'] = encodeURIComponent(v.tag);
  return ok('ConfigQueryResponse', extra);
}

/** `paramChecks`: whether the checker's character rules run (`nacos.core.param.check.enabled`); lengths always do. */
export function configHandlers(center: ConfigCenter, paramChecks: boolean): Record<string, RequestHandler> {
  return {
    ConfigQueryRequest: (body, rc) => {
      const b = queryBody(body);
      checkParams(b, paramChecks);
      const requested = b.tag ?? '';
      const tag = requested !== '' ? requested : connectionTag(rc);
      const labels: ClientLabels = tag === undefined ? { clientIp: rc.clientIp } : { clientIp: rc.clientIp, tag, tagRequested: requested !== '' };
      const v = center.get({ tenant: normalizeTenant(b.tenant), group: b.group ?? '', dataId: b.dataId ?? '' }, labels);
      if (v) return cachedQueryAnswer(v);
      const echo = requested !== '' ? { tag: encodeURIComponent(requested) } : {};
      return failure('ConfigQueryResponse', 300, CONFIG_NOT_FOUND, { ...QUERY_FAILURE_FIELDS, ...echo });
    },
    ConfigPublishRequest: async (body, rc) => {
      const b = parseBody(publishSchema, body);
      checkParams(b, paramChecks);
      const a = b.additionMap ?? {};
      const extra = (k: string): string | undefined => a[k] ?? undefined;
      const srcUser = extra('src_user') ?? rc.headers['username'] ?? '';
      if (b.content === null || b.content === undefined) throw badRequest('content is blank : null');
      await center.publish({
        tenant: normalizeTenant(b.tenant),
        group: b.group ?? '',
        dataId: b.dataId ?? '',
        content: b.content,
        type: extra('type'),
        appName: extra('appName'),
        desc: extra('desc'),
        use: extra('use'),
        effect: extra('effect'),
        schema: extra('schema'),
        configTags: extra('config_tags'),
        encryptedDataKey: extra('encryptedDataKey'),
        casMd5: b.casMd5 ?? undefined,
        betaIps: extra('betaIps'),
        tag: extra('tag'),
        srcUser,
        srcIp: rc.clientIp,
      });
      return ok('ConfigPublishResponse');
    },
    ConfigRemoveRequest: async (body, rc) => {
      const b = parseBody(removeSchema, body);
      checkParams(b, paramChecks);
      try {
        const tag = b.tag ?? '';
        await center.remove({
          tenant: normalizeTenant(b.tenant),
          group: b.group ?? '',
          dataId: b.dataId ?? '',
          ...(tag !== '' ? { tag } : {}),
          srcUser: rc.headers['username'] ?? '',
          srcIp: rc.clientIp,
        });
      } catch (e) {
        // Nacos answers a failed remove without an errorCode (docs/protocol/config.md §2.4).
        if (e instanceof NacosError) return failure('ConfigRemoveResponse', 0, e.message);
        throw e;
      }
      return ok('ConfigRemoveResponse');
    },
  };
}
