import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { ipPortClientId } from '../core/client.js';
import type { Instance } from '../core/instance.js';
import type { InstanceMetadata, MetadataIndex, ServiceMetadata } from '../core/metadata.js';
import { GROUP_SEP, parseServiceKeyId, serviceKeyId, type ServiceKey } from '../core/names.js';
import type { Registry } from '../core/registry.js';
import type { Logger } from '../observability/logger.js';
import type { StoreWrite } from '../persistence/persistent-store.js';

/** The longest text a `switch` row may hold (a switch value is a short list or map). */
const MAX_SWITCH_TEXT = 4096;

/** Key layout of the persistent tables (documented in docs/architecture.md). */
export const storeKeys = {
  /** `namespace@@group@@service##ip:port` */
  instance: (svcId: string, ip: string, port: number) => `${svcId}##${ip}:${port}`,
  service: (svcId: string) => svcId,
  /** `namespace@@group@@service##ip:port:cluster` */
  instanceMeta: (svcId: string, metaId: string) => `${svcId}##${metaId}`,
};

/**
 * The store write that sets a persistent instance's `healthy` flag, built from the instance's current
 * record (so nothing else changes); null when the instance is not published (or not in `cluster`) or
 * already has that health. The write is conditional (`onlyIfExists`): if the instance is deregistered
 * before the write applies, it stays deregistered. It is a field update (`onlyFields`): the local copy
 * may lag the log (a registration committed but not yet applied here), and only `healthy` may come
 * from it, or the flip would put the older registration back (docs/reliability.md, finding 1).
 */
export function persistentHealthWrite(
  registry: Pick<Registry, 'getClient'>,
  service: ServiceKey,
  ip: string,
  port: number,
  healthy: boolean,
  cluster?: string,
): StoreWrite | null {
  const sid = serviceKeyId(service);
  const inst = registry.getClient(ipPortClientId(ip, port, false))?.publishes.get(sid)?.instances[0];
  if (!inst || inst.healthy === healthy || (cluster !== undefined && inst.clusterName !== cluster)) return null;
  return { table: 'instance', key: storeKeys.instance(sid, ip, port), value: { ...inst, healthy }, onlyIfExists: true, onlyFields: ['healthy'] };
}

function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf('##');
  if (i < 0) throw new Error(`bad key ${JSON.stringify(key)}: no '##'`);
  return [key.slice(0, i), key.slice(i + 2)];
}

const strMap = z.record(z.string(), z.string());
export const instanceSchema = z.object({
  instanceId: z.string(),
  ip: z.string(),
  port: z.number().int(),
  weight: z.number(),
  healthy: z.boolean(),
  enabled: z.boolean(),
  ephemeral: z.boolean(),
  clusterName: z.string(),
  metadata: strMap,
});
const checkerSchema = z.object({
  type: z.enum(['TCP', 'HTTP', 'NONE', 'MYSQL']),
  path: z.string().optional(),
  headers: z.string().optional(),
  expectedResponseCode: z.number().optional(),
});
const serviceMetaSchema = z.object({
  ephemeral: z.boolean(),
  protectThreshold: z.number(),
  selector: z.object({ type: z.enum(['none', 'label']), expression: z.string().optional() }),
  metadata: strMap,
  clusters: z.record(
    z.string(),
    z.object({ healthChecker: checkerSchema, checkPort: z.number(), useInstancePort4Check: z.boolean(), metadata: strMap }),
  ),
});
const instanceMetaSchema = z.object({ weight: z.number().optional(), enabled: z.boolean().optional(), metadata: strMap });

type Decoded =
  | { table: 'instance'; service: ServiceKey; clientId: string; inst: Instance | null }
  | { table: 'service'; service: ServiceKey; meta: ServiceMetadata | null }
  | { table: 'instanceMeta'; service: ServiceKey; metaId: string; meta: InstanceMetadata | null }
  | { table: 'switch'; key: string; value: unknown }
  | { table: 'namespace'; key: string; present: boolean }
  | { table: 'other' };

/** `namespace@@group@@service`; throws when either separator is missing. */
function serviceOf(svcId: string): ServiceKey {
  const first = svcId.indexOf(GROUP_SEP);
  if (first < 0 || svcId.indexOf(GROUP_SEP, first + GROUP_SEP.length) < 0) throw new Error(`bad service key ${JSON.stringify(svcId)}`);
  return parseServiceKeyId(svcId);
}

/**
 * Parses one store write the way the state machine applies it (throws when it cannot be applied).
 * The one function behind both `apply` and `checkNamingWrite`, so what the store lets through is
 * exactly what every member can apply.
 */
function decode(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): Decoded {
  switch (w.table) {
    case 'instance': {
      const [svcId, ipPort] = splitKey(w.key);
      const sep = ipPort.lastIndexOf(':');
      const port = Number(ipPort.slice(sep + 1));
      if (sep <= 0 || !Number.isInteger(port)) throw new Error(`bad instance key ${JSON.stringify(w.key)}`);
      const clientId = ipPortClientId(ipPort.slice(0, sep), port, false);
      return { table: 'instance', service: serviceOf(svcId), clientId, inst: w.value === null ? null : instanceSchema.parse(w.value) };
    }
    case 'service':
      return { table: 'service', service: serviceOf(w.key), meta: w.value === null ? null : serviceMetaSchema.parse(w.value) };
    case 'instanceMeta': {
      const [svcId, metaId] = splitKey(w.key);
      return { table: 'instanceMeta', service: serviceOf(svcId), metaId, meta: w.value === null ? null : instanceMetaSchema.parse(w.value) };
    }
    case 'switch':
      // Numbers and booleans as such; lists and maps (masters, health params, …) as JSON text.
      if (
        w.value !== null &&
        typeof w.value !== 'boolean' &&
        !(typeof w.value === 'number' && Number.isFinite(w.value)) &&
        !(typeof w.value === 'string' && w.value.length <= MAX_SWITCH_TEXT)
      ) {
        throw new Error(`switch ${w.key}: value must be a finite number, a boolean or a text of at most ${MAX_SWITCH_TEXT} characters`);
      }
      return { table: 'switch', key: w.key, value: w.value };
    case 'namespace':
      // The catalog itself reads the store (naming/namespaces.ts); the index only knows the ids (for the namespace cap).
      return { table: 'namespace', key: w.key, present: w.value !== null };
    // Auth tables are applied by src/auth/auth-state.ts.
    default:
      return { table: 'other' };
  }
}

/**
 * Why the naming state machine could not apply `w` (null: it can). Given to the persistent store,
 * which refuses such a write before proposing it and skips it at apply time (issue 11 defect 5).
 */
export function checkNamingWrite(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): string | null {
  try {
    decode(w);
    return null;
  } catch (e) {
    return describeFailure(e);
  }
}

function describeFailure(e: unknown): string {
  if (e instanceof z.ZodError) {
    const i = e.issues[0];
    return `${i?.path.map(String).join('.') || 'value'}: ${i?.message ?? 'invalid'}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * The persistent state machine: turns applied store writes into registry and metadata changes.
 * Runs on every member for every committed batch (and at start for the stored entries).
 */
export class PersistentStateMachine {
  readonly switches = new Map<string, unknown>();

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly log: Logger,
    /** A service left the registry because its metadata was deleted (drop its cached renders). */
    private readonly onServiceRemoved: (serviceId: string) => void = () => undefined,
  ) {}

  apply(batch: readonly StoreWrite[]): void {
    for (const w of batch) {
      try {
        this.applyOne(decode(w));
      } catch (e) {
        // The store checks every write with checkNamingWrite, so this is a bug: log loudly, keep serving.
        this.log.error({ err: e, table: w.table, key: w.key }, 'persistent entry could not be applied');
      }
    }
  }

  private applyOne(d: Decoded): void {
    const now = this.clock.monotonic();
    switch (d.table) {
      case 'instance':
        if (d.inst === null) this.registry.unpublish(d.clientId, d.service, now);
        else this.registry.publish(d.clientId, 'persistent-ipport', d.service, [d.inst], now);
        return;
      case 'service':
        this.metadata.setService(d.service, d.meta);
        if (d.meta) this.registry.ensureService(d.service, d.meta.ephemeral, now);
        this.registry.touchService(d.service, now);
        // A deleted service (`DELETE /v1/ns/service`) leaves every member's registry, not only the
        // one that took the request; one that still has publishers stays.
        if (!d.meta && this.registry.getService(d.service)?.publishers.size === 0 && this.registry.removeService(d.service)) {
          this.onServiceRemoved(serviceKeyId(d.service));
        }
        return;
      case 'instanceMeta':
        this.metadata.setInstance(d.service, d.metaId, d.meta);
        this.registry.touchService(d.service, now);
        return;
      case 'switch':
        if (d.value === null) this.switches.delete(d.key);
        else this.switches.set(d.key, d.value);
        return;
      case 'namespace':
        this.metadata.setNamespace(d.key, d.present);
        return;
      case 'other':
        return;
    }
  }
}
