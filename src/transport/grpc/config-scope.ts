/**
 * What an SDK config request acts on, for the auth hook (authorizer.ts): the access it needs and
 * its permission resource, derived by the one function the HTTP rules use too
 * (config-center/config-resource.ts; docs/protocol/config.md §6). A batch listen names no group or
 * dataId: Nacos checks the first context's namespace (every group and config); Nomen checks every
 * namespace its contexts name, so one request cannot listen where its user may not read. A fuzzy
 * watch names its pattern: namespace, group pattern and dataId pattern as the resource texts (Nacos
 * checks the default namespace only), as the naming fuzzy watch does (docs/fuzzy-watch.md "Auth").
 */
import type { NamingResource } from '../../auth/permissions.js';
import { configResource } from '../../config-center/config-resource.js';
import { PATTERN_SPLITTER } from '../../fuzzy/pattern.js';

export const CONFIG_ACCESS: Readonly<Record<string, 'read' | 'write'>> = {
  ConfigQueryRequest: 'read',
  ConfigBatchListenRequest: 'read',
  ConfigFuzzyWatchRequest: 'read',
  ConfigPublishRequest: 'write',
  ConfigRemoveRequest: 'write',
};

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The resources of a config request body, all of which must be allowed (never throws: odd fields count as absent). */
export function configGrpcResources(type: string, body: Readonly<Record<string, unknown>>): NamingResource[] {
  if (type === 'ConfigFuzzyWatchRequest') {
    // A malformed pattern (refused by the handler with 400) needs the default namespace's access.
    const parts = (text(body['groupKeyPattern']) ?? '').split(PATTERN_SPLITTER);
    return [parts.length === 3 ? configResource(parts[0], parts[1], parts[2]) : configResource(null, null, null)];
  }
  if (type === 'ConfigBatchListenRequest') {
    const contexts = body['configListenContexts'];
    const namespaces = new Map<string, NamingResource>();
    for (const c of Array.isArray(contexts) ? (contexts as unknown[]) : []) {
      const tenant = typeof c === 'object' && c !== null ? text((c as Record<string, unknown>)['tenant']) : null;
      const r = configResource(tenant, null, null);
      namespaces.set(r.namespace, r);
    }
    // No context: the default namespace, as Nacos' parser gives.
    return namespaces.size > 0 ? [...namespaces.values()] : [configResource(null, null, null)];
  }
  return [configResource(text(body['tenant']), text(body['group']), text(body['dataId']))];
}
