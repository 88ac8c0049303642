import type { Instance } from './instance.js';
import type { ServiceKey } from './names.js';
import { serviceKeyId } from './names.js';

/**
 * Who publishes instances. Every client has exactly one responsible member (Distro).
 * - `connection`: an SDK gRPC connection; its instances die with it.
 * - `ephemeral-ipport`: an HTTP v1 heartbeat client `ip:port#true`; kept alive by beats.
 * - `persistent-ipport`: `ip:port#false`; durable, replicated by the persistent store.
 */
export type ClientKind = 'connection' | 'ephemeral-ipport' | 'persistent-ipport';

export interface PublishRecord {
  readonly service: ServiceKey;
  /** Normally one; a batch register stores the whole batch. */
  readonly instances: readonly Instance[];
}

export function ipPortClientId(ip: string, port: number, ephemeral: boolean): string {
  return `${ip}:${port}#${ephemeral}`;
}

/** The replicable state of one client: what Distro ships between members. */
export interface ClientSyncData {
  readonly clientId: string;
  readonly kind: ClientKind;
  readonly revision: number;
  readonly publishes: readonly PublishRecord[];
}

export class Client {
  /** Changes on every change of the publish set. */
  revision = 0;
  lastUpdated: number;
  readonly publishes = new Map<string, PublishRecord>();
  /** Last heartbeat per service id (ephemeral-ipport clients only). */
  readonly lastBeat = new Map<string, number>();

  /**
   * @param seq this member's arrival order: a client first seen later has a higher `seq` (local to
   *   the member, never replicated; the hand-over's ordering rule, docs/operations.md "Drain").
   */
  constructor(
    readonly id: string,
    readonly kind: ClientKind,
    now: number,
    readonly seq = 0,
  ) {
    this.lastUpdated = now;
  }

  get ephemeral(): boolean {
    return this.kind !== 'persistent-ipport';
  }

  instanceCount(): number {
    let n = 0;
    for (const r of this.publishes.values()) n += r.instances.length;
    return n;
  }

  toSyncData(): ClientSyncData {
    return { clientId: this.id, kind: this.kind, revision: this.revision, publishes: [...this.publishes.values()] };
  }

  static keyOf(service: ServiceKey): string {
    return serviceKeyId(service);
  }
}
