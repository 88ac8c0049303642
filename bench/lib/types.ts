/** Result shapes the load generators emit and the orchestrator reads. */
import type { LatencySummary } from './stats.js';

/** Anything measured while other processes might have been using the machine. */
export interface Disturbable {
  /** CPU used by other processes (and unattributed kernel work) during the measurement, cores. */
  otherCpu: number | null;
}

/** One measured window of a closed-loop gRPC job. */
export interface GrpcWindow extends Disturbable {
  ops: number;
  opsPerSec: number;
  errors: number;
  latencyMs: LatencySummary;
  /** CPU seconds per wall second of the server (1.0 = one core saturated) and of the generator. */
  serverCpu: number | null;
  loadCpu: number | null;
}

export interface GrpcJobResult {
  windows: GrpcWindow[];
  firstError: string;
  latencySampled: boolean;
}

export interface GrpcJob {
  name: string;
  mode: 'register' | 'query' | 'config-get';
  service?: string;
  expectHosts?: number;
  /** config-get: the config read (published beforehand with `configBytes` bytes of content). */
  dataId?: string;
  configBytes?: number;
}

/** One measured autocannon run. */
export interface HttpRun extends Disturbable {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  bytesPerReq: number;
  serverCpu: number | null;
  loadCpu: number | null;
}

export interface PushRound {
  received: number;
  missing: number;
  /** Changer's InstanceRequest round trip. */
  changeRttMs: number;
  /** Per-subscriber latency from the change's response. */
  fromResponseMs: LatencySummary;
  /** Per-subscriber latency from sending the change. */
  fromSendMs: LatencySummary;
  /** CPU seconds from sending the change until the last push arrived (10 ms resolution). */
  serverCpuSec: number | null;
  loadCpuSec: number;
  /**
   * The load generator's own garbage collection during the round (ms, summed) and its longest
   * pause: a pause there delays every push read after it, whichever server sent them.
   */
  loadGcMs?: number;
  loadGcMaxMs?: number;
}

export interface PushResult {
  subscribers: number;
  connectMs: number;
  subscribeMs: number;
  initialPushes: number;
  initialAll: boolean;
  rounds: PushRound[];
  streamsClosed: number;
}

/** One phase of the password-flood load (load/password-flood.ts): probes, with or without the flood. */
export interface FloodPhase {
  /** Readiness probe latency, ms. */
  readiness: LatencySummary;
  /** Naming read with a valid token, ms. */
  token: LatencySummary;
  /** Probe answers other than 200 (should be none). */
  probeFailures: number;
  /** Flood answers by HTTP status (empty without the flood). */
  floodStatus: Record<string, number>;
  floodRate: number;
}
