import { badRequest } from '../core/errors.js';
import { checkInstanceLegal, defaultInstanceId, type Instance } from '../core/instance.js';
import { checkIp, checkPort, normalizeCluster, type ServiceKey } from '../core/names.js';

/** An instance as a client sends it, after edge parsing: everything optional but ip and port. */
export interface InstanceInput {
  ip: string;
  port: number;
  weight?: number | null;
  healthy?: boolean | null;
  enabled?: boolean | null;
  clusterName?: string | null;
  metadata?: Record<string, string> | null;
  instanceId?: string | null;
}

/**
 * Normalises and validates an instance for a service: defaults (weight 1, healthy, enabled,
 * cluster DEFAULT), the generated id, and Nacos' legality rules. Throws a 400 NacosError.
 * The cluster is defaulted before the id is generated (Nacos generates `#null#` ids for a null
 * cluster; we deliberately do not — see docs/decisions.md).
 */
export function buildInstance(service: ServiceKey, input: InstanceInput, ephemeral: boolean, metadataLimit?: number): Instance {
  const ip = (input.ip ?? '').trim();
  if (ip === '') throw badRequest("Param 'ip' is required.", 10000);
  const ipErr = checkIp(ip);
  if (ipErr) throw badRequest(ipErr);
  const portErr = checkPort(input.port);
  if (portErr) throw badRequest(portErr);
  const clusterName = normalizeCluster(input.clusterName);
  const instance: Instance = {
    ip,
    port: input.port,
    weight: input.weight ?? 1,
    healthy: input.healthy ?? true,
    enabled: input.enabled ?? true,
    ephemeral,
    clusterName,
    metadata: input.metadata ?? {},
    instanceId: input.instanceId && input.instanceId.trim() !== '' ? input.instanceId : defaultInstanceId(service, ip, input.port, clusterName),
  };
  checkInstanceLegal(instance, metadataLimit);
  return instance;
}
