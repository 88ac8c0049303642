/**
 * The config center's use cases with the counters the metrics read (docs/operations.md "Config
 * metrics"): client reads served or not, publishes and removes by outcome. Counting is kept out of
 * `ConfigService` itself; every member builds this one.
 */
import { NacosError } from '../core/errors.js';
import { CAS_FAILED_MESSAGE, ConfigService, type ConfigServiceOptions } from './config-service.js';
import type { ConfigState } from './config-state.js';
import type { ClientLabels, ConfigKey, ConfigView, PublishInput, RemoveInput } from './types.js';

/** How a write use case ended. */
export type WriteOutcome = 'ok' | 'cas_mismatch' | 'rejected' | 'failed';

/** Monotonic counters of the use cases served through this member. */
export interface ConfigServiceStats {
  /** Gray-aware client reads (`get`): served, or nothing to serve. */
  readonly reads: { found: number; notFound: number };
  readonly publish: Record<WriteOutcome, number>;
  readonly remove: Record<WriteOutcome, number>;
}

const outcomes = (): Record<WriteOutcome, number> => ({ ok: 0, cas_mismatch: 0, rejected: 0, failed: 0 });

/** A refused write by what refused it: the CAS check, the request itself (4xx), else the store. */
function outcomeOf(e: unknown): WriteOutcome {
  if (!(e instanceof NacosError)) return 'failed';
  if (e.message === CAS_FAILED_MESSAGE) return 'cas_mismatch';
  return e.status < 500 ? 'rejected' : 'failed';
}

export class CountedConfigService extends ConfigService {
  readonly stats: ConfigServiceStats = { reads: { found: 0, notFound: 0 }, publish: outcomes(), remove: outcomes() };
  private readonly index: ConfigState;

  constructor(o: ConfigServiceOptions) {
    super(o);
    this.index = o.state;
  }

  override get(key: ConfigKey, labels?: ClientLabels): ConfigView | null {
    const view = super.get(key, labels);
    if (view) this.stats.reads.found++;
    else this.stats.reads.notFound++;
    return view;
  }

  override publish(input: PublishInput): Promise<void> {
    return this.counted(this.stats.publish, () => super.publish(input));
  }

  override remove(input: RemoveInput): Promise<void> {
    return this.counted(this.stats.remove, () => super.remove(input));
  }

  /** Formal configs per namespace (a scan of the index). */
  countsByNamespace(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.index.records()) out.set(r.tenant, (out.get(r.tenant) ?? 0) + 1);
    return out;
  }

  /** History rows held. */
  historySize(): number {
    return this.index.historySize();
  }

  private async counted(counts: Record<WriteOutcome, number>, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      counts.ok++;
    } catch (e) {
      counts[outcomeOf(e)]++;
      throw e;
    }
  }
}
