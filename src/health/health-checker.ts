/**
 * Server-side active health checks of persistent instances (docs/protocol/persistent.md §3.2; docs/health-checks.md).
 *
 * One task per (persistent client `ip:port#false`, service it publishes), created and dropped by
 * following the registry. Each task is a one-shot timer re-armed after every run with an adaptive
 * delay. While the `healthCheckEnabled` switch is off, tasks hold no timer: they are parked and one
 * engine timer looks at the switch every `WAKE_MS` (docs/health-checks.md "Switched off"). A run probes the instance as its cluster's metadata says (TCP, HTTP, MYSQL as TCP, NONE =
 * no probe), counts results locally, and when the health flips writes the instance record with the
 * new `healthy` through the persistent store (so it replicates and pushes like any other write).
 *
 * Deterministic: time, timers, randomness, probes and responsibility are injected.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Instance } from '../core/instance.js';
import type { ClusterMetadata } from '../core/metadata.js';
import type { ServiceKey } from '../core/names.js';
import type { Logger } from '../observability/logger.js';
import type { CheckedClient, CheckedInstances } from './checked-instances.js';
import { parseCheckHeaders, verdictOf, type ProbeResult, type ProbeTarget, type Prober, type Verdict } from './probe.js';

/** Bounds and smoothing of the adaptive delay (SwitchDomain `tcpHealthParams` etc.). */
export interface CheckParams {
  readonly max: number;
  readonly min: number;
  readonly factor: number;
}

export type ProbedChecker = 'TCP' | 'HTTP' | 'MYSQL';

/** How often a switched-off engine looks whether the switch is on again (one timer for all tasks). */
export const WAKE_MS = 1000;

/** Nacos' SwitchDomain defaults (fixed in Nomen; shown by `GET /v1/ns/operator/switches`). */
export const HEALTH_PARAMS: Readonly<Record<ProbedChecker, CheckParams>> = {
  TCP: { max: 5000, min: 1000, factor: 0.75 },
  HTTP: { max: 5000, min: 500, factor: 0.85 },
  MYSQL: { max: 3000, min: 2000, factor: 0.65 },
};

export interface HealthCheckConfig {
  /** Switch `healthCheckEnabled`: false pauses every check (counters are reset). */
  enabled(): boolean;
  /** Switch `checkTimes` (3): consecutive counted results needed to flip. */
  checkTimes(): number;
  /** Timeout of one probe (Nacos: 500 ms). */
  timeoutMs: number;
  params?: Readonly<Record<ProbedChecker, CheckParams>>;
}

export interface HealthCheckDeps {
  /** Persistent clients, cluster settings and flip writes (the naming side, `naming/health-source.ts`). */
  instances: CheckedInstances;
  prober: Prober;
  clock: Clock;
  log: Logger;
  /** Uniform in [0, 1); only spreads the first check of each task. */
  random: () => number;
  /** Cluster: the Distro hash of `ip:port` picks the one member that probes. Standalone: always true. */
  isResponsible: (clientId: string) => boolean;
}

/** Monotonic counters for metrics. */
export interface HealthCheckStats {
  probes: { success: number; fail: number; failNow: number };
  /** Probes started, by the cluster's checker type (Nacos' `nacos_monitor` http/tcp/mysqlHealthCheck). */
  checks: Record<ProbedChecker, number>;
  flips: { healthy: number; unhealthy: number };
}

interface Task {
  readonly clientId: string;
  readonly sid: string;
  readonly service: ServiceKey;
  /** Adaptive delay until the next run (Nacos `checkRtNormalized`). */
  rtNormalized: number;
  okCount: number;
  failCount: number;
  timer: TimerHandle | null;
  /** Set when the task is dropped; a run in flight then discards its result. */
  dropped: boolean;
}

export class HealthCheckEngine {
  readonly stats: HealthCheckStats = { probes: { success: 0, fail: 0, failNow: 0 }, checks: { TCP: 0, HTTP: 0, MYSQL: 0 }, flips: { healthy: 0, unhealthy: 0 } };
  /** clientId → service id → task. */
  private readonly tasks = new Map<string, Map<string, Task>>();
  /** Tasks without a timer while the switch is off (see `park`). */
  private readonly parked = new Set<Task>();
  private wakeTimer: TimerHandle | null = null;
  private readonly params: Readonly<Record<ProbedChecker, CheckParams>>;
  private running = false;

  constructor(
    private readonly d: HealthCheckDeps,
    private readonly cfg: HealthCheckConfig,
  ) {
    this.params = cfg.params ?? HEALTH_PARAMS;
    d.instances.onClientChanged((client, removed) => {
      if (this.running) this.sync(client, removed);
    });
  }

  /** Starts tasks for every persistent instance already in the registry (call after the store is loaded). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const c of [...this.d.instances.clients()]) this.sync(c, false);
  }

  stop(): void {
    this.running = false;
    for (const byService of this.tasks.values()) for (const t of byService.values()) this.drop(t);
    this.tasks.clear();
    this.parked.clear();
    this.wakeTimer?.cancel();
    this.wakeTimer = null;
  }

  /** Number of tasks parked while the switch is off (tests, diagnostics). */
  parkedCount(): number {
    return this.parked.size;
  }

  /** Number of scheduled tasks (tests, diagnostics). */
  taskCount(): number {
    let n = 0;
    for (const m of this.tasks.values()) n += m.size;
    return n;
  }

  // ---------------------------------------------------------------- task set follows the registry

  private sync(client: CheckedClient, removed: boolean): void {
    const mine = this.tasks.get(client.id);
    if (removed) {
      if (mine) for (const t of mine.values()) this.drop(t);
      this.tasks.delete(client.id);
      return;
    }
    const byService = mine ?? new Map<string, Task>();
    for (const [sid, t] of byService) {
      if (!client.publishes.has(sid)) {
        this.drop(t);
        byService.delete(sid);
      }
    }
    for (const [sid, rec] of client.publishes) {
      if (byService.has(sid)) continue;
      // Nacos: first run after 2000 + random(0, random(0, tcp max)) ms, spreading a mass start.
      const max = this.params.TCP.max;
      const first = 2000 + Math.floor(this.d.random() * Math.floor(this.d.random() * max));
      const t: Task = { clientId: client.id, sid, service: rec.service, rtNormalized: first, okCount: 0, failCount: 0, timer: null, dropped: false };
      byService.set(sid, t);
      this.arm(t);
    }
    if (byService.size > 0) this.tasks.set(client.id, byService);
    else this.tasks.delete(client.id);
  }

  private drop(t: Task): void {
    t.dropped = true;
    t.timer?.cancel();
    t.timer = null;
    this.parked.delete(t);
  }

  private arm(t: Task, delay = t.rtNormalized): void {
    if (t.dropped || !this.running) return;
    if (!this.cfg.enabled()) return this.park(t);
    t.timer = this.d.clock.setTimeout(() => {
      t.timer = null;
      // Fire-and-forget: run() logs a failed run itself and re-arms.
      void this.run(t);
    }, delay);
  }

  /**
   * The switch is off: the task keeps no timer (with thousands of persistent instances, a timer
   * each firing every few seconds only to find the switch off cost a tenth of a member's CPU under
   * write load; docs/benchmarks.md "Raft write path, second pass"). Its counts restart, as a run
   * with the switch off does.
   */
  private park(t: Task): void {
    t.okCount = 0;
    t.failCount = 0;
    this.parked.add(t);
    this.wakeTimer ??= this.d.clock.setInterval(() => this.wake(), WAKE_MS);
  }

  /** Switch on again: every parked task runs within its current delay, spread at random. */
  private wake(): void {
    if (!this.cfg.enabled() || !this.running) return;
    this.wakeTimer?.cancel();
    this.wakeTimer = null;
    const tasks = [...this.parked];
    this.parked.clear();
    for (const t of tasks) this.arm(t, Math.floor(this.d.random() * t.rtNormalized));
  }

  // ---------------------------------------------------------------- one run

  /** The instance as currently stored, or undefined when it is no longer published. */
  private current(t: Task): Instance | undefined {
    return this.d.instances.instance(t.clientId, t.sid);
  }

  private async run(t: Task): Promise<void> {
    try {
      await this.runOnce(t);
    } catch (e) {
      this.d.log.warn({ err: e, client: t.clientId, service: t.sid }, 'health check run failed');
    }
    this.arm(t);
  }

  private async runOnce(t: Task): Promise<void> {
    const inst = this.current(t);
    if (!inst || t.dropped) return;
    if (!this.cfg.enabled() || !this.d.isResponsible(t.clientId)) {
      t.okCount = 0;
      t.failCount = 0;
      return;
    }
    const cm = this.d.instances.clusterSettings(t.service, inst.clusterName);
    const type = cm.healthChecker.type;
    if (type === 'NONE') {
      // Health is set by hand (PUT /v1/ns/health); look again later in case the checker changes.
      t.okCount = 0;
      t.failCount = 0;
      t.rtNormalized = this.params.TCP.max;
      return;
    }
    const params = this.params[type];
    const target = targetOf(inst, cm, type, this.cfg.timeoutMs);
    const started = this.d.clock.monotonic();
    this.stats.checks[type]++;
    const result = await this.probeBounded(target);
    if (t.dropped || !this.running) return;
    const verdict = verdictOf(target, result);
    // Re-estimate the delay (Nacos reEvaluateCheckRT): the probe time on success, twice the current
    // delay on a timeout, the maximum on any other failure; smoothed, then clamped to [min, max].
    const observed = verdict === 'success' ? this.d.clock.monotonic() - started : result.timedOut ? t.rtNormalized * 2 : params.max;
    const next = params.factor * t.rtNormalized + (1 - params.factor) * observed;
    t.rtNormalized = Math.round(Math.min(params.max, Math.max(params.min, next)));
    await this.judge(t, verdict, result);
  }

  /** The prober with a safety net: a probe that never settles counts as a timeout. */
  private probeBounded(target: ProbeTarget): Promise<ProbeResult> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: ProbeResult) => {
        if (settled) return;
        settled = true;
        guard.cancel();
        resolve(r);
      };
      const guard = this.d.clock.setTimeout(
        () => settle({ ok: false, timedOut: true, reason: 'probe did not settle' }),
        target.timeoutMs * 2 + 1000,
      );
      this.d.prober.probe(target).then(settle, (e: unknown) => settle({ ok: false, reason: e instanceof Error ? e.message : String(e) }));
    });
  }

  /** Counts the verdict against the instance's current health and writes a flip (HealthCheckCommonV2). */
  private async judge(t: Task, verdict: Verdict, result: ProbeResult): Promise<void> {
    const s = this.stats.probes;
    if (verdict === 'success') s.success++;
    else if (verdict === 'fail') s.fail++;
    else s.failNow++;
    // Re-read: the instance may have been deregistered or changed while the probe was in flight,
    // and responsibility may have moved.
    const inst = this.current(t);
    if (!inst || !this.d.isResponsible(t.clientId) || !this.cfg.enabled()) return;
    const times = Math.max(1, this.cfg.checkTimes());
    if (verdict === 'success') {
      t.failCount = 0;
      if (!inst.healthy && ++t.okCount >= times) await this.flip(t, inst, true, 'probe succeeded');
      return;
    }
    t.okCount = 0;
    if (!inst.healthy) return;
    if (verdict === 'fail-now' || ++t.failCount >= times) await this.flip(t, inst, false, result.reason ?? 'probe failed');
  }

  private async flip(t: Task, inst: Instance, healthy: boolean, reason: string): Promise<void> {
    t.okCount = 0;
    t.failCount = 0;
    const written = this.d.instances.writeHealth(t.service, inst.ip, inst.port, healthy);
    if (!written) return;
    if (healthy) this.stats.flips.healthy++;
    else this.stats.flips.unhealthy++;
    this.d.log.info({ service: t.sid, ip: inst.ip, port: inst.port, healthy, reason }, 'persistent instance health changed');
    try {
      await written;
    } catch (e) {
      this.d.log.warn({ err: e, service: t.sid, ip: inst.ip, port: inst.port }, 'health change not written');
    }
  }
}

/**
 * What to probe for an instance of a cluster. Port: the instance port when the cluster's
 * `useInstancePort4Check` (default true), else its `checkPort`; MYSQL always uses the instance port
 * (Nacos' MySQL checker ignores checkPort) and is probed as a TCP connect.
 */
export function targetOf(inst: Instance, cm: ClusterMetadata, type: ProbedChecker, timeoutMs: number): ProbeTarget {
  const port = type === 'MYSQL' || cm.useInstancePort4Check ? inst.port : cm.checkPort;
  if (type !== 'HTTP') return { kind: 'TCP', ip: inst.ip, port, timeoutMs };
  const raw = cm.healthChecker.path ?? '';
  return {
    kind: 'HTTP',
    ip: inst.ip,
    port,
    timeoutMs,
    path: raw.startsWith('/') ? raw : `/${raw}`,
    headers: parseCheckHeaders(cm.healthChecker.headers),
    expectedStatus: cm.healthChecker.expectedResponseCode ?? 200,
  };
}
