/** The gRPC loader requests' view of one member: its SDK connection counts, its load, and reloads through ConnectionMoves. */
import { cpus, loadavg } from 'node:os';
import type { ServerLoader } from '../app-context.js';
import type { ConnectionMoves } from '../cluster/connection-moves.js';

export function serverLoader(sdkConnections: () => number, moves: Pick<ConnectionMoves, 'reload'>): ServerLoader {
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  /** This process' CPU use since the previous call, as a fraction of the machine (Nacos reports a 0..1 load too). */
  const cpu = (): number => {
    const now = performance.now();
    const used = process.cpuUsage(lastCpu);
    const elapsedUs = Math.max(1, (now - lastAt) * 1000);
    lastCpu = process.cpuUsage();
    lastAt = now;
    return Math.min(1, (used.user + used.system) / elapsedUs / Math.max(1, cpus().length));
  };
  return {
    loaderMetrics: () => {
      const n = String(sdkConnections());
      // Every connection of the SDK port is an SDK connection (members talk on the cluster port).
      return { conCount: n, sdkConCount: n, load: String(loadavg()[0] ?? 0), cpu: String(cpu()) };
    },
    reload: (keep, redirect) => moves.reload(keep, redirect),
  };
}
