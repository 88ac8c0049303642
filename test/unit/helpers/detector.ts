import type { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { ClientDetector } from '../../../src/transport/grpc/client-detector.js';
import type { Connection, ConnectionRegistry } from '../../../src/transport/grpc/connections.js';
import { PushError } from '../../../src/transport/grpc/push-error.js';

/**
 * A started ClientDetector (idle after 20 s, a sweep every 3 s) whose probe fails for the
 * connections `dead` picks and succeeds for the others; records what it probed and ejected.
 */
export function startDetector(registry: ConnectionRegistry, clock: ManualClock, dead: (c: Connection) => boolean) {
  const probed: string[] = [];
  const ejected: string[] = [];
  const detector = new ClientDetector({
    registry,
    clock,
    logger: silentLogger(),
    idleEjectMs: 20_000,
    intervalMs: 3000,
    probe: (c) => {
      probed.push(c.id);
      return dead(c) ? Promise.reject(new PushError('timeout', 'no ack')) : Promise.resolve();
    },
    eject: (c, reason) => {
      ejected.push(c.id);
      registry.unregister(c, reason);
    },
  });
  detector.start();
  return { detector, probed, ejected };
}
