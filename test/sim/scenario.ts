import type { VerifyMode } from '../../src/distro/config.js';
import type { DistroMutations } from './distro-mutants.js';
import type { MemberState, MemberView } from '../../src/distro/mapper.js';
import { Checker, type Bounds, type Violation } from './checks.js';
import { SERVICES, SimCluster, type SimApp, type SimIpClient, type SimMember, type SimSettings } from './cluster.js';
import { Rng } from './prng.js';

/**
 * Shortened timings (simulated ms) so one seed covers many verify rounds, lease expiries and
 * heartbeat expiries in ~40 s of simulated time. Production defaults are in src/distro/config.ts;
 * docs/distro.md lists both.
 */
export const SIM_TIMING = {
  syncDelayMs: 20,
  syncTimeoutMs: 300,
  syncRetryDelayMs: 200,
  verifyIntervalMs: 1000,
  verifyTimeoutMs: 300,
  loadTimeoutMs: 300,
  loadRetryDelayMs: 200,
  loadGiveUpMs: 2000,
  clientExpiredMs: 6000,
  expiryCheckIntervalMs: 250,
  beat: { interval: 500, timeout: 1500, deleteTimeout: 3000 },
  maxNetDelayMs: 15,
} as const;

export interface SeedOptions {
  readonly mutations?: DistroMutations;
  /** Stop at the first violation (seed sweeps). */
  readonly stopOnFirst?: boolean;
  readonly verifyMode?: VerifyMode;
}

export interface SeedResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly members: number;
  readonly events: number;
  readonly simMs: number;
  readonly messages: number;
  readonly checks: number;
  readonly verifyMode: VerifyMode;
}

export function bounds(): Bounds {
  const t = SIM_TIMING;
  return {
    syncDelay: t.syncDelayMs,
    // D + 3 round trips (a burst may wait for an in-flight slot) + slack.
    sync: t.syncDelayMs + 6 * t.maxNetDelayMs + 90,
    expiry: t.clientExpiredMs,
    verify: t.verifyIntervalMs,
    sweep: t.expiryCheckIntervalMs,
  };
}

/** The wall-clock steps the scenario draws from (ms). */
const WALL_STEPS_MS = [-600_000, -60_000, -5_000, 0, 5_000, 60_000, 600_000];

/** Runs one seeded scenario: chaos, heal, healthy churn, quiescence; returns the violations found. */
export function runSeed(seed: number, opts: SeedOptions = {}): SeedResult {
  const rng = new Rng(seed);
  const t = SIM_TIMING;
  const verifyMode: VerifyMode = opts.verifyMode ?? (rng.chance(0.7) ? 'digest' : 'per-client');
  const settings: SimSettings = {
    distro: {
      syncDelayMs: t.syncDelayMs,
      syncTimeoutMs: t.syncTimeoutMs,
      syncRetryDelayMs: t.syncRetryDelayMs,
      syncBatchMaxEntries: rng.pick([4, 16, 256]),
      syncBatchMaxBytes: rng.pick([1500, 64 * 1024]),
      syncMaxInFlight: rng.pick([1, 2, 4]),
      verifyIntervalMs: t.verifyIntervalMs,
      verifyTimeoutMs: t.verifyTimeoutMs,
      verifyMode,
      verifyBuckets: rng.pick([4, 16, 256]),
      loadTimeoutMs: t.loadTimeoutMs,
      loadRetryDelayMs: t.loadRetryDelayMs,
      loadGiveUpMs: t.loadGiveUpMs,
      loadChunkMaxBytes: rng.pick([1200, 4096, 1 << 20]),
      clientExpiredMs: t.clientExpiredMs,
      expiryCheckIntervalMs: t.expiryCheckIntervalMs,
    },
    expiryCheckMs: t.expiryCheckIntervalMs,
    beat: t.beat,
    mutations: opts.mutations ?? {},
  };
  const cluster = new SimCluster(rng, settings);
  const b = bounds();
  const checker = new Checker(cluster, b);
  checker.install();
  const sched = cluster.sched;
  const T0 = sched.now;
  const ev = rng.fork();

  // ------------------------------------------------------------ members
  const n = rng.int(3, 6);
  const addrs: string[] = [];
  for (let i = 1; i <= n; i++) addrs.push(`10.0.0.${i}:8848`);
  const spare = '10.0.0.9:8848';
  for (const a of [...addrs, spare]) cluster.addMember(a, rng.int(-300, 300));
  // Wall-clock steps (docs/reliability.md "Clock jumps"): during the chaos phase, every 1-5 s one
  // member's wall clock is stepped (±5 s to ±10 min, or back to true) and stays so until its next
  // step. Drawn from their own stream and applied without scheduler events, so every other draw
  // and event of a seed is what it was before steps existed.
  const wr = new Rng((seed ^ 0x2545f491) >>> 0);
  const wallSteps: { at: number; address: string; ms: number }[] = [];
  for (let at = T0 + wr.int(1000, 5000); at < T0 + 25_000; at += wr.int(1000, 5000)) wallSteps.push({ at, address: wr.pick(addrs), ms: wr.pick(WALL_STEPS_MS) });
  cluster.wallStep = (address) => {
    let ms = 0;
    for (const s of wallSteps) {
      if (s.at > sched.now) break;
      if (s.address === address) ms = s.ms;
    }
    return ms;
  };
  for (const a of addrs) cluster.configured.add(a);
  const configuredView = (): MemberView[] => [...cluster.configured].map((address) => ({ address, state: 'UP' as MemberState }));
  const detect = (): number => ev.int(200, 2500);

  /** Members learn of `address`'s new state at different times. */
  const spreadView = (address: string, state: MemberState | undefined): void => {
    for (const m of cluster.members.values()) {
      if (m.address === address || !m.alive) continue;
      const inc = m.incarnation;
      sched.after(detect(), () => {
        if (m.alive && m.incarnation === inc && checker.phase === 'chaos') cluster.setView(m, address, state);
      });
    }
  };

  const startMember = (m: SimMember): void => {
    cluster.start(m, configuredView());
    // The new member's own health checks find the dead ones after a while.
    for (const other of cluster.members.values()) {
      if (other === m || !cluster.configured.has(other.address) || other.alive) continue;
      const inc = m.incarnation;
      sched.after(detect(), () => {
        if (m.alive && m.incarnation === inc && !other.alive && checker.phase === 'chaos') cluster.setView(m, other.address, 'DOWN');
      });
    }
  };

  // Cold start: all configured members start within 0-600 ms (all loading at once).
  for (const a of addrs) {
    const m = cluster.member(a);
    sched.after(rng.int(0, 600), () => {
      if (!m.alive) startMember(m);
    });
  }

  // ------------------------------------------------------------ clients
  const appCount = rng.int(2, 10);
  for (let i = 0; i < appCount; i++) cluster.apps.push({ name: `app${i}`, ip: `10.1.0.${i + 1}`, services: new Map(), conn: null });
  const ipCount = rng.int(2, 10);
  for (let i = 0; i < ipCount; i++) cluster.ipClients.push({ ip: `10.2.0.${i + 1}`, port: 8080, services: new Set(), beating: true, gen: 0 });

  const connectApp = (app: SimApp): void => {
    const live = cluster.alive();
    if (live.length === 0 || app.conn) return;
    const conn = cluster.openConn(app, ev.pick(live));
    for (const s of app.services.keys()) cluster.connRegister(conn, s);
  };
  const reconnectLater = (app: SimApp): void => {
    sched.after(ev.int(300, 1500), () => {
      if (!app.conn && app.services.size > 0 && checker.phase !== 'quiet') connectApp(app);
    });
  };
  const beatLoop = (c: SimIpClient): void => {
    sched.after(t.beat.interval + ev.int(-50, 50), () => {
      cluster.ipBeat(c);
      beatLoop(c);
    });
  };
  for (const c of cluster.ipClients) {
    sched.after(rng.int(0, t.beat.interval), () => beatLoop(c));
  }

  // A short-lived application: connects, registers, and is gone 5–300 ms later (a crash-looping
  // instance). Its connection client is new to every peer, so a slow CHANGE may arrive after the DELETE.
  let flaps = 0;
  const flap = (): void => {
    const live = cluster.alive();
    if (live.length === 0) return;
    flaps++;
    const app: SimApp = { name: `flap${flaps}`, ip: `10.3.${(flaps >> 8) & 255}.${flaps & 255}`, services: new Map(), conn: null };
    const conn = cluster.openConn(app, ev.pick(live));
    const svc = ev.pick(SERVICES);
    app.services.set(svc, [9000]);
    cluster.connRegister(conn, svc);
    sched.after(ev.int(5, 300), () => {
      app.services.clear();
      cluster.connClose(conn);
    });
  };

  const clientOp = (): void => {
    const r = ev.next();
    const app = ev.pick(cluster.apps);
    const ip = ev.pick(cluster.ipClients);
    const svc = ev.pick(SERVICES);
    if (r < 0.12) {
      connectApp(app);
    } else if (r < 0.4) {
      if (!app.conn) connectApp(app);
      const k = cluster.apps.indexOf(app);
      app.services.set(svc, ev.chance(0.3) ? [8000 + k, 8100 + k] : [8000 + k]);
      if (app.conn) cluster.connRegister(app.conn, svc);
    } else if (r < 0.5) {
      const s = [...app.services.keys()];
      if (s.length > 0 && app.conn) {
        const x = ev.pick(s);
        app.services.delete(x);
        cluster.connDeregister(app.conn, x);
      }
    } else if (r < 0.56) {
      // Graceful close: the application stops.
      if (app.conn) {
        app.services.clear();
        cluster.connClose(app.conn);
      }
    } else if (r < 0.59) {
      // Silent death of the application: its server notices after a while.
      const conn = app.conn;
      if (conn) {
        app.services.clear();
        app.conn = null;
        sched.after(ev.int(500, 2000), () => cluster.connClose(conn));
      }
    } else if (r < 0.8) {
      ip.gen++;
      ip.beating = true;
      cluster.ipRegister(ip, svc);
    } else if (r < 0.88) {
      const s = [...ip.services];
      if (s.length > 0) cluster.ipDeregister(ip, ev.pick(s));
    } else if (r < 0.94) {
      ip.beating = !ip.beating;
    }
  };

  // ------------------------------------------------------------ faults (chaos phase)
  const faultOp = (): void => {
    const r = ev.next();
    const live = cluster.alive();
    const configured = [...cluster.configured].map((a) => cluster.member(a));
    if (r < 0.13) {
      if (live.length > 1) {
        const m = ev.pick(live);
        const affected = cluster.apps.filter((a) => a.conn && a.conn.member === m.address);
        cluster.crash(m);
        spreadView(m.address, 'DOWN');
        for (const a of affected) reconnectLater(a);
      }
    } else if (r < 0.28) {
      const dead = configured.filter((m) => !m.alive);
      if (dead.length > 0) {
        const m = ev.pick(dead);
        startMember(m);
        spreadView(m.address, 'UP');
      }
    } else if (r < 0.48) {
      const [a, c] = [ev.pick(configured), ev.pick(configured)];
      if (a !== c) {
        const both = ev.chance(0.5);
        cluster.net.setCut(a.address, c.address, true);
        if (both) cluster.net.setCut(c.address, a.address, true);
        sched.after(ev.int(200, 3000), () => {
          cluster.net.setCut(a.address, c.address, false);
          if (both) cluster.net.setCut(c.address, a.address, false);
        });
      }
    } else if (r < 0.58) {
      // A false DOWN in one member's view (ownership disagreement), later UP again.
      const [a, c] = live.length > 1 ? [ev.pick(live), ev.pick(live)] : [undefined, undefined];
      if (a && c && a !== c) {
        const inc = a.incarnation;
        const state: MemberState = ev.chance(0.7) ? 'DOWN' : 'SUSPICIOUS';
        cluster.setView(a, c.address, state);
        sched.after(ev.int(300, 2500), () => {
          if (a.alive && a.incarnation === inc && c.alive && checker.phase === 'chaos') cluster.setView(a, c.address, 'UP');
        });
      }
    } else if (r < 0.68) {
      cluster.net.faults = { ...cluster.net.faults, loss: ev.pick([0, 0.02, 0.1, 0.3]), dup: ev.pick([0, 0.05, 0.2]), slow: ev.pick([0, 0.02, 0.05, 0.1]) };
    } else if (r < 0.73) {
      // A member joins: started with the new list, the others add it at different times.
      const m = cluster.member(spare);
      if (!cluster.configured.has(spare) && !m.alive) {
        cluster.configured.add(spare);
        startMember(m);
        spreadView(spare, 'UP');
      }
    } else if (r < 0.78) {
      // The spare member leaves: removed from every list (at different times), then stopped.
      const m = cluster.member(spare);
      if (cluster.configured.has(spare) && cluster.configured.size > 2) {
        cluster.configured.delete(spare);
        spreadView(spare, undefined);
        sched.after(2600, () => {
          if (!cluster.configured.has(spare) && m.alive) {
            const affected = cluster.apps.filter((a) => a.conn && a.conn.member === m.address);
            cluster.crash(m);
            for (const a of affected) reconnectLater(a);
          }
        });
      }
    }
  };

  const chaosEnd = T0 + 12000 + rng.int(0, 13000);
  cluster.net.faults = { ...cluster.net.faults, slow: ev.pick([0.03, 0.06, 0.1]) };
  const loop = (every: () => number, fn: () => void, until: () => number): void => {
    const step = (): void => {
      if (sched.now >= until()) return;
      fn();
      sched.after(every(), step);
    };
    sched.after(every(), step);
  };
  let opsUntil = chaosEnd;
  loop(() => ev.int(30, 250), clientOp, () => opsUntil);
  loop(() => ev.int(80, 400), flap, () => opsUntil);
  loop(() => ev.int(200, 1200), faultOp, () => chaosEnd);
  const queueCheck = (): void => {
    checker.checkQueues();
    sched.after(1000, queueCheck);
  };
  sched.after(1000, queueCheck);

  const stop = (): boolean => opts.stopOnFirst === true && checker.failed;
  const runTo = (time: number): void => {
    while (sched.now < time && !stop()) sched.runUntil(Math.min(time, sched.now + 500));
  };
  const result = (): SeedResult => ({
    seed,
    violations: checker.violations,
    members: n,
    events: sched.executed,
    simMs: sched.now - T0,
    messages: cluster.net.stats.requests,
    checks: checker.checks,
    verifyMode,
  });

  runTo(chaosEnd);
  if (stop()) return result();

  // ------------------------------------------------------------ heal
  checker.phase = 'settle';
  cluster.net.healAll();
  cluster.net.faults = { ...cluster.net.faults, loss: 0, dup: 0, slow: 0 };
  if (cluster.configured.has(spare) === false && cluster.member(spare).alive) cluster.crash(cluster.member(spare));
  for (const a of cluster.configured) {
    const m = cluster.member(a);
    // Each dead member restarts or stays dead (its replicas must then expire); at least one runs.
    if (!m.alive && (ev.chance(0.5) || cluster.alive().length === 0)) startMember(m);
  }
  for (const app of cluster.apps) if (!app.conn && app.services.size > 0) reconnectLater(app);
  const agreed = (): MemberView[] =>
    [...cluster.configured].map((address) => ({ address, state: (cluster.member(address).alive ? 'UP' : 'DOWN') as MemberState }));
  for (const m of cluster.alive()) {
    const inc = m.incarnation;
    sched.after(ev.int(0, 300), () => {
      if (!m.alive || m.incarnation !== inc) return;
      const want = agreed();
      for (const a of [...m.view.keys()]) if (!cluster.configured.has(a)) cluster.setView(m, a, undefined);
      for (const v of want) cluster.setView(m, v.address, v.state);
    });
  }
  const heal = sched.now;
  const settle = 2.5 * t.verifyIntervalMs + 1000;
  opsUntil = heal + settle + 4000;
  loop(() => ev.int(30, 250), clientOp, () => opsUntil);
  runTo(heal + settle);
  if (stop()) return result();

  // ------------------------------------------------------------ healthy churn
  checker.checkConvergence('after heal');
  checker.phase = 'healthy';
  checker.healthyFrom = sched.now;
  runTo(opsUntil);
  if (stop()) return result();

  // ------------------------------------------------------------ quiescence
  checker.phase = 'quiet';
  const quietEnd = sched.now + t.clientExpiredMs + t.beat.deleteTimeout + 3 * t.verifyIntervalMs + 2000;
  const orphanCheck = (): void => {
    checker.checkOrphans();
    sched.after(500, orphanCheck);
  };
  sched.after(500, orphanCheck);
  runTo(quietEnd);
  if (stop()) return result();
  checker.checkConvergence('quiet');
  checker.checkFinal();
  return result();
}

/** The one-line command that replays a seed. */
export function replayCommand(seed: number, file = 'test/sim/distro-sim.test.ts', env = ''): string {
  return `SIM_SEED=${seed}${env ? ` ${env}` : ''} node --import tsx --test ${file}`;
}

/**
 * Standalone (docs/protocol/distro.md §9.19): one member, client churn and heartbeats for `durationMs`; returns the
 * number of Distro messages sent (must be 0) and the violations found.
 */
export function runStandalone(seed: number, durationMs = 20000): { messages: number; violations: readonly Violation[]; responsibleForAll: boolean } {
  const rng = new Rng(seed);
  const t = SIM_TIMING;
  const cluster = new SimCluster(rng, { distro: { verifyIntervalMs: t.verifyIntervalMs }, expiryCheckMs: t.expiryCheckIntervalMs, beat: t.beat, mutations: {}, standalone: true });
  const checker = new Checker(cluster, bounds());
  checker.install();
  const m = cluster.addMember('10.0.0.1:8848', 0);
  cluster.start(m, [{ address: m.address, state: 'UP' }]);
  for (let i = 0; i < 4; i++) cluster.apps.push({ name: `app${i}`, ip: `10.1.0.${i + 1}`, services: new Map(), conn: null });
  for (let i = 0; i < 4; i++) cluster.ipClients.push({ ip: `10.2.0.${i + 1}`, port: 8080, services: new Set(), beating: true, gen: 0 });
  const end = cluster.sched.now + durationMs;
  const step = (): void => {
    if (cluster.sched.now >= end) return;
    const app = rng.pick(cluster.apps);
    const ip = rng.pick(cluster.ipClients);
    const s = rng.pick(SERVICES);
    if (!app.conn) cluster.openConn(app, m);
    if (rng.chance(0.5)) {
      app.services.set(s, [8000]);
      cluster.connRegister(app.conn!, s);
    } else cluster.ipRegister(ip, s);
    if (rng.chance(0.1)) cluster.connClose(app.conn!);
    for (const c of cluster.ipClients) cluster.ipBeat(c);
    cluster.sched.after(rng.int(50, 300), step);
  };
  cluster.sched.after(10, step);
  cluster.sched.runUntil(end + 5000);
  let all = true;
  for (const c of m.registry.allClients()) all &&= m.distro.isResponsible(c.id);
  return { messages: cluster.net.stats.requests, violations: checker.violations, responsibleForAll: all && m.distro.isLoaded() };
}
