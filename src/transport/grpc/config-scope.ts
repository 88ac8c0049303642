/**
 * What an SDK config request acts on, for the auth hook (authorizer.ts): the access it needs and
 * its permission resource, derived by the one function the HTTP rules use too
 * (config-center/config-resource.ts; docs/protocol/config.md §6). A batch listen names no group or
 * dataId: its resource is the first context's namespace, every group and config.
 */
import type { NamingResource } from '../../auth/permissions.js';
import { configResource } from '../../config-center/config-resource.js';

export const CONFIG_ACCESS: Readonly<Record<string, 'read' | 'write'>> = {
  ConfigQueryRequest: 'read',
  ConfigBatchListenRequest: 'read',
  ConfigPublishRequest: 'write',
  ConfigRemoveRequest: 'write',
};

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The resource of a config request body (never throws: odd fields count as absent). */
export function configGrpcResource(type: string, body: Readonly<Record<string, unknown>>): NamingResource {
  if (type === 'ConfigBatchListenRequest') {
    const contexts = body['configListenContexts'];
    const first: unknown = Array.isArray(contexts) ? contexts[0] : undefined;
    const tenant = typeof first === 'object' && first !== null ? text((first as Record<string, unknown>)['tenant']) : null;
    return configResource(tenant, null, null);
  }
  return configResource(text(body['tenant']), text(body['group']), text(body['dataId']));
}
