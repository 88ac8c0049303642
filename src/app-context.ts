import type { AuthService } from './auth/auth-service.js';
import type { Clock } from './core/clock.js';
import type { Config } from './config/config.js';
import type { ConfigListening } from './config-center/listening.js';
import type { ConfigCenter } from './config-center/types.js';
import type { FuzzyWatchEngine } from './naming/fuzzy-watch.js';
import type { NamingService } from './naming/naming-service.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';

/** Readiness of this member: false until start-up (and, in a cluster, the Distro load) completes. */
export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface MemberIdentity {
  /** Advertised ip. */
  readonly ip: string;
  /** HTTP (main) port. */
  readonly port: number;
  /** `ip:port`. */
  readonly address: string;
}

/** What the client views show of an SDK connection held by this member (set up by its ConnectionSetupRequest). */
export interface SdkConnectionMeta {
  /** The client's self-reported IP. */
  readonly clientIp: string;
  /** e.g. `Nacos-Java-Client:v2.4.3`; '' if not sent. */
  readonly clientVersion: string;
  /** `labels.AppName`, `-` when absent. */
  readonly appName: string;
}

/** This member's SDK connection load and the reload of its connections (gRPC loader requests). */
export interface ServerLoader {
  /** Nacos' `loaderMetrics`: `conCount`, `sdkConCount`, `load`, `cpu`, all strings. */
  loaderMetrics(): Record<string, string>;
  /** Keep at most `keep` SDK connections (a tenth at most per call) and move the others, towards `redirect` when given. */
  reload(keep: number, redirect: string | undefined): 'ok' | 'ignore';
}

/** What the edges (HTTP, gRPC handlers) are given: use cases and read-only server facts. */
export interface AppContext {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly naming: NamingService;
  readonly readiness: Readiness;
  readonly member: MemberIdentity;
  readonly startedAt: number;
  readonly version: string;
  /** Live gRPC connection count (0 before the gRPC server starts). */
  connectionCount(): number;
  /** A registered SDK connection of this member by id (absent in edge-only tests). */
  readonly sdkConnection?: (connectionId: string) => SdkConnectionMeta | undefined;
  /** Prometheus metrics (set by the server; absent in edge-only tests). */
  readonly metrics?: Metrics;
  /** Users, tokens, permissions (set by the server; absent: auth off and no auth endpoints). */
  readonly auth?: AuthService;
  /** The configuration center (set by the server; absent in edge-only tests). */
  readonly configCenter?: ConfigCenter;
  /** Nacos 3 naming fuzzy watch of this member (absent in edge-only tests: the request type is not handled). */
  readonly fuzzyWatch?: FuzzyWatchEngine;
  /** Connection load and reloads (absent in edge-only tests). */
  readonly loader?: ServerLoader;
  /** Config listening of this member: held long polls, gRPC listeners, listener status (absent in edge-only tests). */
  readonly configListening?: ConfigListening;
}
