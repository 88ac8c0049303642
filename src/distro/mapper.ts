import type { ClientKind } from '../core/client.js';
import { javaStringHash } from './hash.js';

/** Nacos member states (docs/protocol/distro.md §5.4). Only UP, SUSPICIOUS and DOWN come out of health checking. */
export type MemberState = 'STARTING' | 'UP' | 'SUSPICIOUS' | 'DOWN' | 'ISOLATION';

export interface MemberView {
  readonly address: string;
  readonly state: MemberState;
}

/** docs/protocol/distro.md §1.2 dispatch rule: no `#` → connection; ends with `false` → persistent; else ephemeral ip-port. */
export function kindOfClientId(id: string): ClientKind {
  if (!id.includes('#')) return 'connection';
  return id.endsWith('false') ? 'persistent-ipport' : 'ephemeral-ipport';
}

/** The responsible tag of an ip-port client: the id before the first `#` (`ip:port`). */
export function responsibleTagOf(clientId: string): string {
  const i = clientId.indexOf('#');
  return i < 0 ? clientId : clientId.slice(0, i);
}

/**
 * Index of the owner of `tag` in a healthy list of `n` members (docs/protocol/distro.md §2.2):
 * `abs(hashCode(tag) % 2147483647) % n`. JS `%` keeps the dividend's sign like Java, and the
 * remainder is in (-2^31+1, 2^31-1) so `abs` never overflows (hashCode = MIN_VALUE gives 1).
 */
export function distroIndex(tag: string, n: number): number {
  return Math.abs(javaStringHash(tag) % 2147483647) % n;
}

/** The healthy list (docs/protocol/distro.md §2.1): addresses of UP and SUSPICIOUS members, sorted in UTF-16 order. */
export function healthyListOf(members: readonly MemberView[]): string[] {
  const s = new Set<string>();
  for (const m of members) if (m.state === 'UP' || m.state === 'SUSPICIOUS') s.add(m.address);
  return [...s].sort();
}

/**
 * Who is responsible for what (docs/protocol/distro.md §2). Ip-port clients: the hash rule over the sorted healthy list.
 * Connection clients are decided by the data storage (the member that holds the connection).
 */
export class DistroMapper {
  private healthy: readonly string[] = [];
  private selfIndex = -1;

  constructor(
    readonly self: string,
    private readonly standalone: boolean,
    /** Nacos' `distroEnabled` switch; off → every member is responsible for everything. */
    private readonly distroEnabled: () => boolean = () => true,
  ) {}

  /** Replaces the healthy list. Returns true when it changed. */
  setHealthyList(addresses: readonly string[]): boolean {
    const sorted = [...new Set(addresses)].sort();
    if (sorted.length === this.healthy.length && sorted.every((a, i) => a === this.healthy[i])) return false;
    this.healthy = sorted;
    this.selfIndex = sorted.indexOf(this.self);
    return true;
  }

  healthyList(): readonly string[] {
    return this.healthy;
  }

  /** docs/protocol/distro.md §2.2 `responsible(tag)`, corner cases included. */
  responsibleTag(tag: string): boolean {
    if (this.standalone || !this.distroEnabled()) return true;
    const n = this.healthy.length;
    if (n === 0) return false;
    if (this.selfIndex < 0) return true;
    return distroIndex(tag, n) === this.selfIndex;
  }

  /** docs/protocol/distro.md §2.2 `mapSrv(tag)`: the member an HTTP write for `tag` is forwarded to. */
  mapSrv(tag: string): string {
    const n = this.healthy.length;
    if (n === 0 || this.standalone || !this.distroEnabled()) return this.self;
    return this.healthy[distroIndex(tag, n)]!;
  }
}
