/**
 * Naming fuzzy watch (Nacos 3, docs/fuzzy-watch.md): the shared engine (`fuzzy/engine.ts`) with
 * naming's wire spelling (docs/protocol/nacos3.md §5) and naming's events. A service key is added
 * when the service gets its first publisher and removed when it loses its last; the scan (every
 * service of a namespace, empty ones included) fills a new pattern's match set.
 */
import type { Clock } from '../core/clock.js';
import { parseServiceKeyId, serviceKeyId } from '../core/names.js';
import { FuzzyWatchCore, type FuzzyDialect, type FuzzyPushSink, type FuzzyWatchSettings, type ResourceScan } from '../fuzzy/engine.js';

export const SYNC_REQUEST = 'NamingFuzzyWatchSyncRequest';
export const CHANGE_REQUEST = 'NamingFuzzyWatchChangeNotifyRequest';

export type ChangedType = 'ADD_SERVICE' | 'DELETE_SERVICE';

const changedType = (exists: boolean): ChangedType => (exists ? 'ADD_SERVICE' : 'DELETE_SERVICE');

/** Naming's spelling: `serviceKey` contexts, `ADD_SERVICE`/`DELETE_SERVICE`, FINISH with `contexts: []` and one batch. */
export const NAMING_DIALECT: FuzzyDialect = {
  module: 'naming',
  syncRequest: SYNC_REQUEST,
  changeRequest: CHANGE_REQUEST,
  keyOf: serviceKeyId,
  context: (serviceKey, exists) => ({ serviceKey, changedType: changedType(exists) }),
  finish: { contexts: [], totalBatch: 1, currentBatch: 1 },
  change: (serviceKey, added) => ({ syncType: 'FUZZY_WATCH_RESOURCE_CHANGED', serviceKey, changedType: changedType(added) }),
};

export class FuzzyWatchEngine extends FuzzyWatchCore {
  /** Services with at least one publisher: their transitions are the ADD/DELETE events. */
  private readonly published = new Set<string>();

  constructor(settings: () => FuzzyWatchSettings, scan: ResourceScan, sink: FuzzyPushSink, clock: Clock) {
    super(NAMING_DIALECT, settings, scan, sink, clock);
  }

  /** A service changed in the registry; `publishers` is its publisher count now. */
  serviceChanged(serviceId: string, publishers: number): void {
    const had = this.published.has(serviceId);
    if (publishers > 0 && !had) {
      this.published.add(serviceId);
      this.resourceChanged(parseServiceKeyId(serviceId), true);
    } else if (publishers === 0 && had) {
      this.published.delete(serviceId);
      this.resourceChanged(parseServiceKeyId(serviceId), false);
    }
  }
}
