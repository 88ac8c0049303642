/** The start-up barrier of a cluster member: the Distro snapshot load (docs/protocol/distro.md §8.B7). */
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';

/** Resolves once this member loaded the Distro snapshot, or when `stopping()` turns true. */
export function waitForDistroLoad(cluster: ClusterNode, clock: Clock, log: Logger, stopping: () => boolean): Promise<void> {
  const t0 = clock.monotonic();
  return new Promise((resolve) => {
    let timer: TimerHandle | null = null;
    const check = (): boolean => {
      if (stopping() || cluster.distro.isLoaded()) {
        timer?.cancel();
        log.info({ ms: clock.monotonic() - t0 }, 'distro snapshot loaded');
        resolve();
        return true;
      }
      return false;
    };
    if (!check()) timer = clock.setInterval(check, 20);
  });
}
