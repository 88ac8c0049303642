/**
 * Config request handlers for the SDK gRPC port (docs/protocol/config.md §2.2–2.4): each validates
 * its body (schema, then Nacos' parameter checker), calls one ConfigCenter use case and answers the
 * exact response type the SDKs expect. Rust sends `null` for absent optionals, so every optional
 * accepts null.
 */
import { z } from 'zod';
import { badRequest, NacosError } from '../../core/errors.js';
import { normalizeTenant } from '../../config-center/config-keys.js';
import type { ClientLabels, ConfigCenter, ConfigView } from '../../config-center/types.js';
import { paramCheck } from '../../config-center/validation.js';
import type { TypedMessage } from '../../wire/codec.js';
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
      const b = parseBody(querySchema, body);
      checkParams(b, paramChecks);
      const requested = b.tag ?? '';
      const tag = requested !== '' ? requested : connectionTag(rc);
      const labels: ClientLabels = tag === undefined ? { clientIp: rc.clientIp } : { clientIp: rc.clientIp, tag, tagRequested: requested !== '' };
      const v = center.get({ tenant: normalizeTenant(b.tenant), group: b.group ?? '', dataId: b.dataId ?? '' }, labels);
      if (v) return queryAnswer(v);
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
