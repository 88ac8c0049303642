/**
 * Loads the persistent store's entries into memory (users, registry and metadata, switches) and
 * keeps them following every applied write, on every member (docs/architecture.md "Persistent state").
 */
import type { AppContext } from '../app-context.js';
import type { AuthService } from '../auth/auth-service.js';
import type { MetadataIndex } from '../core/metadata.js';
import type { Registry } from '../core/registry.js';
import { PersistentStateMachine } from '../naming/persistent-state.js';
import type { PersistentStore } from '../persistence/persistent-store.js';
import { applyStoredSwitches, applySwitchWrites } from '../transport/http/switches.js';

export function followStore(store: PersistentStore, registry: Registry, metadata: MetadataIndex, auth: AuthService, ctx: AppContext): void {
  const sm = new PersistentStateMachine(registry, metadata, ctx.clock, ctx.log.child({ component: 'persistent' }), (sid) => ctx.naming.view.forget(sid));
  const entries = [...store.entries()].map((e) => ({ table: e.table, key: e.key, value: e.value }));
  // Service metadata first, so a persistent service's ephemerality is known before its instances.
  entries.sort((a, b) => (a.table === 'service' ? 0 : 1) - (b.table === 'service' ? 0 : 1));
  auth.apply(entries);
  store.onApply((batch) => auth.apply(batch));
  sm.apply(entries);
  store.onApply((batch) => sm.apply(batch));
  applyStoredSwitches(ctx);
  store.onApply((batch) => applySwitchWrites(ctx, batch));
}
