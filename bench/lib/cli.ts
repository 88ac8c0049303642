/** Command line of the benchmark orchestrator (`npm run bench -- ...`): modes, scenarios, flags. See bench/README.md. */
import { PEERS, type PeerName } from '../peers/common.js';

export interface Mode {
  name: 'quick' | 'full';
  connections: number;
  /**
   * gRPC loads: each server first gets `prewarmMs` of unrecorded load (V8 warm-up), then `rounds`
   * alternating rounds; a round is one load-generator process per server: `warmupMs` (the
   * generator's own warm-up), then `windowsPerRound` measured windows of `durationMs` per job.
   */
  grpc: { prewarmMs: number; warmupMs: number; durationMs: number; windowsPerRound: number; rounds: number; maxOpsPerWindow: number };
  /** HTTP loads: the same scheme with autocannon; one measured run per URL per round. */
  http: { connections: number; prewarmSec: number; warmupSec: number; durationSec: number; rounds: number };
  push: { subscribers: number[]; rounds: number; pauseMs: number; roundTimeoutMs: number };
  /** `idleSettleMs`: how long after ready the idle RSS is read (issue 14: 10 s); `settleMs`: after loading. */
  memory: { connections: number; servicesPerConn: number; instancesPerService: number; settleMs: number; idleSettleMs: number };
  /** Start → ready samples in total (the main server's start counts as one). */
  startupRuns: number;
  /** Extra rounds allowed to replace rounds disturbed by other processes. */
  spareRounds: number;
  /** Longest wait for an idle machine before each measurement. */
  quietWaitMs: number;
  /** Alternating rounds (Nomen / etcd / ZooKeeper) of the register and query loads against the peers. */
  peerRounds: number;
  /** Password flood: concurrent wrong-password connections; per round a probes-only phase, then the flood. */
  flood: { connections: number; quietMs: number; floodMs: number; rounds: number };
}

const MODES: Record<Mode['name'], Mode> = {
  quick: {
    name: 'quick',
    connections: 32,
    grpc: { prewarmMs: 0, warmupMs: 1500, durationMs: 1000, windowsPerRound: 2, rounds: 1, maxOpsPerWindow: 200_000 },
    http: { connections: 32, prewarmSec: 0, warmupSec: 0.75, durationSec: 1.5, rounds: 1 },
    push: { subscribers: [1, 1000], rounds: 3, pauseMs: 250, roundTimeoutMs: 10_000 },
    memory: { connections: 100, servicesPerConn: 10, instancesPerService: 10, settleMs: 1000, idleSettleMs: 1000 },
    startupRuns: 3,
    spareRounds: 0,
    quietWaitMs: 1000,
    peerRounds: 1,
    flood: { connections: 64, quietMs: 1000, floodMs: 3000, rounds: 1 },
  },
  full: {
    name: 'full',
    connections: 32,
    grpc: { prewarmMs: 6000, warmupMs: 1500, durationMs: 5000, windowsPerRound: 1, rounds: 5, maxOpsPerWindow: 1_000_000 },
    http: { connections: 32, prewarmSec: 3, warmupSec: 1, durationSec: 5, rounds: 5 },
    push: { subscribers: [1, 1000, 10_000], rounds: 5, pauseMs: 500, roundTimeoutMs: 30_000 },
    memory: { connections: 100, servicesPerConn: 100, instancesPerService: 10, settleMs: 3000, idleSettleMs: 10_000 },
    startupRuns: 5,
    spareRounds: 4,
    quietWaitMs: 60_000,
    peerRounds: 3,
    flood: { connections: 64, quietMs: 2000, floodMs: 8000, rounds: 3 },
  },
};

export const SCENARIOS = ['baseline', 'register', 'query', 'http', 'push', 'memory', 'startup', 'password-flood', 'config-read', 'config-push', 'config-memory', 'raft'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Cli {
  mode: Mode;
  only: Set<ScenarioName>;
  /** No `--only`: the mode's whole set of scenarios (a quick run leaves out k. raft, ~1 min). */
  complete: boolean;
  verbose: boolean;
  docs: boolean;
  cpuProf: boolean;
  pushDelayMs: number | null;
  /** Peer registries run next to Nomen (full: both unless `--no-peers`; quick: only with `--peers`). */
  peers: PeerName[];
}

export function parseCli(argv: string[]): Cli {
  if (argv.includes('--help')) {
    process.stdout.write(
      'npm run bench -- [--quick] [--only baseline,register,query,http,push,memory,startup,password-flood,config-read,config-push,config-memory,raft]\n' +
        '                 [--connections N] [--subscribers 1,1000] [--push-delay MS] [--cpu-prof] [--docs | --no-docs] [--verbose]\n' +
        '                 [--peers etcd,zookeeper | --no-peers]\n',
    );
    process.exit(0);
  }
  const mode = { ...(argv.includes('--quick') ? MODES.quick : MODES.full) };
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(flag + '='))?.slice(flag.length + 1);
  };
  const onlyRaw = value('--only');
  const only = new Set<ScenarioName>(
    onlyRaw
      ? onlyRaw.split(',').map((s) => {
          if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario ${s} (one of ${SCENARIOS.join(',')})`);
          return s as ScenarioName;
        })
      : argv.includes('--quick')
        ? SCENARIOS.filter((s) => s !== 'raft')
        : SCENARIOS,
  );
  const conc = value('--connections');
  if (conc) mode.connections = Number(conc);
  const subs = value('--subscribers');
  if (subs) mode.push = { ...mode.push, subscribers: subs.split(',').map(Number) };
  const pd = value('--push-delay');
  // `--peers` alone (or followed by another flag) means all of them.
  const peersArg = value('--peers');
  const peersRaw = argv.includes('--peers') || argv.some((a) => a.startsWith('--peers=')) ? (peersArg && !peersArg.startsWith('--') ? peersArg : PEERS.join(',')) : undefined;
  const peers = argv.includes('--no-peers')
    ? []
    : peersRaw !== undefined
      ? peersRaw.split(',').map((p) => {
          if (!(PEERS as readonly string[]).includes(p)) throw new Error(`--peers: unknown peer ${p} (one of ${PEERS.join(',')})`);
          return p as PeerName;
        })
      : argv.includes('--quick')
        ? []
        : [...PEERS];
  return {
    mode,
    only,
    complete: !onlyRaw,
    verbose: argv.includes('--verbose'),
    // The full run is the reference; quick runs only write docs when asked.
    docs: argv.includes('--quick') ? argv.includes('--docs') : !argv.includes('--no-docs'),
    cpuProf: argv.includes('--cpu-prof'),
    pushDelayMs: pd !== undefined ? Number(pd) : null,
    peers,
  };
}
