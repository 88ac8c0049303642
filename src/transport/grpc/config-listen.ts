/**
 * `ConfigBatchListenRequest` → `ConfigChangeBatchListenResponse` on the SDK port
 * (docs/protocol/config.md §2.5, docs/config-center.md "Listening and pushes").
 *
 * For each context: `listen:true` records (or refreshes) the connection's listen with the md5 the
 * client holds, and lists the key in `changedConfigs` when that md5 differs from the one a client
 * with this connection's labels should hold (gray-aware; a missing config with md5 '' is up to
 * date), with the tenant exactly as the client sent it; `listen:false` removes the listen. The
 * whole request is checked before anything is recorded: a bad context, or more listens than the
 * per-connection cap, refuses it with a typed failure and changes nothing.
 */
import { z } from 'zod';
import { keyId, type ConfigListenRegistry } from '../../config-center/listeners.js';
import { normalizeTenant } from '../../config-center/config-keys.js';
import type { ClientLabels, ConfigCenter, ConfigKey } from '../../config-center/types.js';
import { paramCheck } from '../../config-center/validation.js';
import { NacosError } from '../../core/errors.js';
import { okResponse, type TypedMessage } from '../../wire/codec.js';
import type { AppContext } from '../../app-context.js';
import type { ConfigListening } from '../../config-center/listening.js';
import { configFailure } from './config-binding.js';
import { instrument } from './naming-binding.js';
import type { RequestContext, SdkGrpcServer } from './sdk-server.js';
import { parseBody } from './validation.js';

export const BATCH_LISTEN_REQUEST = 'ConfigBatchListenRequest';
export const BATCH_LISTEN_RESPONSE = 'ConfigChangeBatchListenResponse';

export interface BatchListenDeps {
  readonly center: Pick<ConfigCenter, 'md5'>;
  readonly listeners: ConfigListenRegistry;
  /** Most keys one connection may listen to. */
  readonly maxPerConnection: number;
  /** `nacos.core.param.check.enabled`: the parameter checker's character rules (lengths always apply). */
  readonly paramCheckChars: boolean;
  /** Pushes a key to the connection at once (a listen arrived with a stale md5). */
  readonly notify?: (connectionId: string, key: ConfigKey) => void;
}

const context = z.object({
  dataId: z.string(),
  group: z.string(),
  tenant: z.string().nullish(),
  md5: z.string().nullish(),
});

// Rust sends null for the top-level key fields; Java's `listen` is a primitive (absent = false).
const batchListen = z.object({
  listen: z.boolean().nullish(),
  configListenContexts: z.array(context).nullish(),
});

/** The gray labels of a request: the connection's reported IP, the `Vipserver-Tag` header or the connection label `app_Vipserver-Tag`. */
export function grpcConfigLabels(rc: Pick<RequestContext, 'connection' | 'headers'>): ClientLabels {
  const tag = rc.headers['Vipserver-Tag'] || rc.connection.labels['app_Vipserver-Tag'];
  return tag ? { clientIp: rc.connection.clientIp, tag } : { clientIp: rc.connection.clientIp };
}

/** Handles one ConfigBatchListenRequest. Throws a 400 NacosError for a body it cannot read or a key that fails the checker. */
export function handleBatchListen(deps: BatchListenDeps, body: unknown, rc: Pick<RequestContext, 'connection' | 'headers'>): TypedMessage {
  const req = parseBody(batchListen, body);
  const contexts = req.configListenContexts ?? [];
  for (const c of contexts) {
    const bad = paramCheck({ dataId: c.dataId, group: c.group, tenant: c.tenant ?? null }, deps.paramCheckChars);
    if (bad) throw new NacosError(400, `Param check invalid:${bad}`);
  }
  const conn = rc.connection.id;
  const keyOf = (c: z.infer<typeof context>): ConfigKey => ({ tenant: normalizeTenant(c.tenant), group: c.group, dataId: c.dataId });
  if (!req.listen) {
    for (const c of contexts) deps.listeners.unlisten(conn, keyOf(c));
    return { type: BATCH_LISTEN_RESPONSE, body: okResponse({ changedConfigs: [] }) };
  }
  const fresh = new Set<string>();
  for (const c of contexts) {
    const k = keyOf(c);
    if (!deps.listeners.isListening(conn, k)) fresh.add(keyId(k));
  }
  if (deps.listeners.countOf(conn) + fresh.size > deps.maxPerConnection) {
    throw new NacosError(400, `too many listened configs on one connection, over ${deps.maxPerConnection}`);
  }
  const labels = grpcConfigLabels(rc);
  const changedConfigs: { dataId: string; group: string; tenant?: string }[] = [];
  for (const c of contexts) {
    const key = keyOf(c);
    const md5 = c.md5 ?? '';
    const blank = (c.tenant ?? '').trim() === '';
    deps.listeners.listen(conn, { key, md5, sentTenant: blank ? null : c.tenant! });
    if (deps.center.md5(key, labels) !== md5) {
      // The tenant exactly as sent ('' stays ''), absent when the client sent none.
      changedConfigs.push(typeof c.tenant === 'string' ? { dataId: c.dataId, group: c.group, tenant: c.tenant } : { dataId: c.dataId, group: c.group });
      // Beyond Nacos: also pushed, because the Rust SDK ignores this answer (docs/config-center.md).
      deps.notify?.(conn, key);
    }
  }
  return { type: BATCH_LISTEN_RESPONSE, body: okResponse({ changedConfigs }) };
}

/**
 * Registers the ConfigBatchListenRequest handler, counted and timed like every request; a rejected
 * request is a typed failure of ConfigChangeBatchListenResponse (docs/protocol/grpc.md §5.3).
 */
export function bindConfigListen(grpc: SdkGrpcServer, ctx: AppContext, listening: ConfigListening): void {
  const center = ctx.configCenter;
  if (!center) return;
  const deps: BatchListenDeps = {
    center,
    listeners: listening.listeners,
    maxPerConnection: ctx.config.int('nomen.config.listen.max-per-connection'),
    paramCheckChars: ctx.config.bool('nacos.core.param.check.enabled'),
    notify: (connectionId, key) => listening.notifier.notify(connectionId, key),
  };
  grpc.registerHandler(BATCH_LISTEN_REQUEST, instrument(BATCH_LISTEN_REQUEST, ctx, (body, rc) => handleBatchListen(deps, body, rc), configFailure));
}
