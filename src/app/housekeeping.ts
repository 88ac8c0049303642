import type { ConfigCenterParts } from './config-center.js';
import type { NamingParts } from './naming-parts.js';

/**
 * The member's periodic tasks: started once the HTTP edge listens, stopped first on the way down
 * (with the pushes and fuzzy-watch notifications, which have no start of their own).
 */
export function housekeeping(parts: NamingParts, configs: ConfigCenterParts): { start(): void; stop(): void } {
  const periodic = [parts.expiry, parts.health, parts.metadataCleaner, configs.cleaner];
  return {
    start: () => {
      for (const t of periodic) t.start();
    },
    stop: () => {
      parts.handover.stop();
      for (const t of periodic) t.stop();
      parts.push.stop();
      parts.fuzzy.stop();
    },
  };
}
