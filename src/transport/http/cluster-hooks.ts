/**
 * What the HTTP edge needs from the cluster layer. Standalone passes none: every request is
 * handled locally.
 */
import type { MemberSource } from './members.js';

export interface HttpClusterHooks {
  /** The member list for the core cluster APIs. */
  readonly members: MemberSource;
  /** Whether this member is responsible for an `ip:port` tag (Distro hash). */
  responsibleTag(tag: string): boolean;
  /** The member (`ip:port`) responsible for a tag. */
  mapSrv(tag: string): string;
  /** JSON state of replication for operators (`/nacos/v1/ns/operator/distro/state`). */
  distroState(): unknown;
  /** Timeout of a forwarded request, ms (Nacos DistroFilter: 2000 connect / 2000 read). */
  readonly forwardTimeoutMs: number;
}
