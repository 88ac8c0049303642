import { badRequest } from './errors.js';
import { INSTANCE_CLUSTER_RE, checkMetadata, groupedName, type ServiceKey } from './names.js';

/** One published instance, as stored. Immutable by convention: replace, never mutate. */
export interface Instance {
  readonly instanceId: string;
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  readonly healthy: boolean;
  readonly enabled: boolean;
  readonly ephemeral: boolean;
  readonly clusterName: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 10000;

export const PRESERVED = {
  beatInterval: 'preserved.heart.beat.interval',
  beatTimeout: 'preserved.heart.beat.timeout',
  deleteTimeout: 'preserved.ip.delete.timeout',
  idGenerator: 'preserved.instance.id.generator',
} as const;

export const HEARTBEAT_DEFAULTS = { interval: 5000, timeout: 15000, deleteTimeout: 30000 } as const;

/** Default instance id: `ip#port#cluster#group@@service` (cluster defaulted first; see docs/decisions.md). */
export function defaultInstanceId(service: ServiceKey, ip: string, port: number, cluster: string): string {
  return `${ip}#${port}#${cluster}#${groupedName(service.group, service.name)}`;
}

function metaMillis(m: Readonly<Record<string, string>>, key: string, dflt: number): number {
  const v = m[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

export function heartbeatTimes(m: Readonly<Record<string, string>>): { interval: number; timeout: number; deleteTimeout: number } {
  return {
    interval: metaMillis(m, PRESERVED.beatInterval, HEARTBEAT_DEFAULTS.interval),
    timeout: metaMillis(m, PRESERVED.beatTimeout, HEARTBEAT_DEFAULTS.timeout),
    deleteTimeout: metaMillis(m, PRESERVED.deleteTimeout, HEARTBEAT_DEFAULTS.deleteTimeout),
  };
}

/**
 * Nacos' instance legality rules (NamingUtils.checkInstanceIsLegal): weight range, cluster name,
 * heartbeat metadata consistency and metadata size. Throws a 400 NacosError.
 */
export function checkInstanceLegal(i: Instance, metadataLimit?: number): void {
  if (!Number.isFinite(i.weight) || i.weight < MIN_WEIGHT || i.weight > MAX_WEIGHT) {
    throw badRequest('instance format invalid: The weights range from 0.0 to 10000.0', 21001);
  }
  if (!INSTANCE_CLUSTER_RE.test(i.clusterName)) {
    throw badRequest(`Instance 'clusterName' should be characters with only 0-9a-zA-Z-. (current: ${i.clusterName})`);
  }
  const hb = heartbeatTimes(i.metadata);
  if (hb.interval > hb.timeout || hb.interval > hb.deleteTimeout) {
    throw badRequest(
      'Instance \'heart beat interval\' must less than \'heart beat timeout\' and \'ip delete timeout\'.',
      21002,
    );
  }
  const m = checkMetadata(i.metadata as Record<string, string>, metadataLimit);
  if (m) throw badRequest(m, 21002);
}

/** The Java Instance JSON shape (with its getter-derived fields) that SDKs read. */
export interface InstanceJson {
  instanceId: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  serviceName: string;
  metadata: Record<string, string>;
  instanceHeartBeatInterval: number;
  instanceHeartBeatTimeOut: number;
  ipDeleteTimeout: number;
  instanceIdGenerator: string;
}

export function toInstanceJson(i: Instance, grouped: string): InstanceJson {
  const hb = heartbeatTimes(i.metadata);
  return {
    instanceId: i.instanceId,
    ip: i.ip,
    port: i.port,
    weight: i.weight,
    healthy: i.healthy,
    enabled: i.enabled,
    ephemeral: i.ephemeral,
    clusterName: i.clusterName,
    serviceName: grouped,
    metadata: i.metadata as Record<string, string>,
    instanceHeartBeatInterval: hb.interval,
    instanceHeartBeatTimeOut: hb.timeout,
    ipDeleteTimeout: hb.deleteTimeout,
    instanceIdGenerator: i.metadata[PRESERVED.idGenerator] ?? 'simple',
  };
}
