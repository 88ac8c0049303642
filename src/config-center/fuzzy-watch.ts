/**
 * Config fuzzy watch (Nacos 3, docs/fuzzy-watch.md, docs/protocol/config.md §2.8): the shared
 * engine (`fuzzy/engine.ts`) with config's wire spelling and config's events. A pattern is
 * `namespace>>groupPattern>>dataIdPattern`; keys are Nacos groupKeys `dataId+group+tenant` (the
 * tenant as stored, `public` for the default namespace). A config's group key enters the match sets
 * when the formal config appears and leaves them when it is removed; content edits and gray
 * variants change nothing. Changes arrive from `ConfigCenter.onChange`, which fires on every member
 * for every applied write, so a watcher on any member hears of a config published on any member.
 */
import type { Clock } from '../core/clock.js';
import { FuzzyWatchCore, type FuzzyDialect, type FuzzyPushSink, type FuzzyResource, type FuzzyWatchSettings } from '../fuzzy/engine.js';
import { groupKey } from './config-keys.js';
import type { ConfigCenter, ConfigChange } from './types.js';

export const CONFIG_FUZZY_SYNC = 'ConfigFuzzyWatchSyncRequest';
export const CONFIG_FUZZY_CHANGE = 'ConfigFuzzyWatchChangeNotifyRequest';

/**
 * Config's spelling: `groupKey` contexts with `changedType` `ADD_CONFIG`/`DELETE_CONFIG`; FINISH with
 * no contexts and batches 0/0; change pushes `{groupKey, changeType}` where an entering key is
 * `CONFIG_CHANGED` (Nacos cannot tell an add from an edit there) and a leaving one `DELETE_CONFIG`.
 */
export const CONFIG_DIALECT: FuzzyDialect = {
  module: 'config',
  syncRequest: CONFIG_FUZZY_SYNC,
  changeRequest: CONFIG_FUZZY_CHANGE,
  keyOf: (r) => groupKey(r.name, r.group, r.namespace),
  context: (key, exists) => ({ groupKey: key, changedType: exists ? 'ADD_CONFIG' : 'DELETE_CONFIG' }),
  finish: { totalBatch: 0, currentBatch: 0 },
  change: (key, added) => ({ groupKey: key, changeType: added ? 'CONFIG_CHANGED' : 'DELETE_CONFIG' }),
};

export class ConfigFuzzyWatch extends FuzzyWatchCore {
  constructor(settings: () => FuzzyWatchSettings, center: Pick<ConfigCenter, 'list'>, sink: FuzzyPushSink, clock: Clock) {
    const scan = (tenant: string): FuzzyResource[] => center.list(tenant).map((c) => ({ namespace: c.tenant, group: c.group, name: c.dataId }));
    super(CONFIG_DIALECT, settings, scan, sink, clock);
  }

  /** An applied change (ConfigCenter.onChange): the formal config exists iff its md5 is not ''. */
  configChanged(change: ConfigChange): void {
    if (change.grayName !== undefined) return;
    this.resourceChanged({ namespace: change.tenant, group: change.group, name: change.dataId }, change.md5 !== '');
  }
}
