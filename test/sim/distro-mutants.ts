/**
 * Deliberately injected Distro bugs for the mutation tests (test/sim/distro-mutations.test.ts) and
 * a few unit tests. Production classes carry no test flags: each bug is a test subclass that
 * overrides one protected rule of the real class (docs/distro.md, "Mutation check").
 */
import type { Stamp } from '../../src/distro/hlc.js';
import { DistroDataProcessor } from '../../src/distro/data-processor.js';
import type { ReplicaMeta, Tombstone } from '../../src/distro/data-storage.js';
import { bucketDigests } from '../../src/distro/digest.js';
import { DistroProtocol, type DistroDeps } from '../../src/distro/distro-protocol.js';
import { DistroReplicaCleaner } from '../../src/distro/replica-cleaner.js';
import { DistroVerifyTask, type VerifyDeps } from '../../src/distro/verify-task.js';

export interface DistroMutations {
  /** The owner does not queue a DELETE when it removes a client. */
  skipDeleteSync?: boolean;
  /** Apply ignores versions and tombstones: the last message to arrive wins (Nacos' behaviour). */
  ignoreVersionOnApply?: boolean;
  /** Verify compares only client ids, not versions (a stale replica is never repaired). */
  verifyIgnoresVersion?: boolean;
  /** A matching verify does not renew the replica's lease. */
  skipLeaseRenewal?: boolean;
  /** A DELETE of a client the member never saw leaves no tombstone: a CHANGE reordered behind it resurrects the client. */
  noTombstoneForUnseenDelete?: boolean;
  /** Tombstones are collected at the next sweep instead of after the lease time E. */
  collectTombstonesAtOnce?: boolean;
  /** Leases, expiries and delays are measured on the wall clock: the scenario's wall-clock steps then expire live replicas or keep dead ones (applied by the simulator's clock, test/sim/scheduler.ts). */
  wallClockTimers?: boolean;
}

export const MUTATION_NAMES = [
  'skipDeleteSync',
  'ignoreVersionOnApply',
  'verifyIgnoresVersion',
  'skipLeaseRenewal',
  'noTombstoneForUnseenDelete',
  'collectTombstonesAtOnce',
  'wallClockTimers',
] as const satisfies readonly (keyof DistroMutations)[];

/** Parses SIM_MUTATION (a JSON object of the flags above); refuses unknown names so a typo is not a silent no-op. */
export function parseMutations(json: string | undefined): DistroMutations {
  if (!json) return {};
  const v: unknown = JSON.parse(json);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('SIM_MUTATION must be a JSON object');
  const out: Record<string, boolean> = {};
  for (const [k, flag] of Object.entries(v)) {
    if (!(MUTATION_NAMES as readonly string[]).includes(k)) throw new Error(`unknown mutation ${k}; known: ${MUTATION_NAMES.join(', ')}`);
    if (typeof flag !== 'boolean') throw new Error(`mutation ${k} must be true or false`);
    out[k] = flag;
  }
  return out;
}

/** Id-only digests: a replica at another version hashes the same. */
function idOnlyDigests(items: Iterable<{ id: string; stamp: Stamp }>, buckets: number): Map<number, [number, number]> {
  return bucketDigests([...items].map(({ id }) => ({ id, stamp: { version: 0, writer: '' } })), buckets);
}

function processorClass(m: DistroMutations): typeof DistroDataProcessor {
  return class MutantProcessor extends DistroDataProcessor {
    protected override order(incoming: Stamp, held: Stamp): number {
      return m.ignoreVersionOnApply ? 1 : super.order(incoming, held);
    }
    protected override blocks(t: Tombstone, s: Stamp): boolean {
      return m.ignoreVersionOnApply ? false : super.blocks(t, s);
    }
    protected override rememberDelete(id: string, t: Tombstone): void {
      if (!m.noTombstoneForUnseenDelete) super.rememberDelete(id, t);
    }
    protected override verifyOrder(listed: Stamp, held: Stamp): number {
      return m.verifyIgnoresVersion ? 0 : super.verifyOrder(listed, held);
    }
    protected override digestsOf(items: Iterable<{ id: string; stamp: Stamp }>, buckets: number): Map<number, [number, number]> {
      return m.verifyIgnoresVersion ? idOnlyDigests(items, buckets) : super.digestsOf(items, buckets);
    }
    protected override renewLease(meta: ReplicaMeta, owner: string, now: number): void {
      if (!m.skipLeaseRenewal) super.renewLease(meta, owner, now);
    }
  };
}

/** A DistroProtocol class with the given bugs injected (the real class when none is set). */
export function distroClass(m: DistroMutations): typeof DistroProtocol {
  if (!Object.values(m).some((v) => v === true)) return DistroProtocol;
  const Processor = processorClass(m);
  class MutantVerify extends DistroVerifyTask {
    protected override digestsOf(items: Iterable<{ id: string; stamp: Stamp }>, buckets: number): Map<number, [number, number]> {
      return m.verifyIgnoresVersion ? idOnlyDigests(items, buckets) : super.digestsOf(items, buckets);
    }
  }
  class MutantCleaner extends DistroReplicaCleaner {
    protected override tombstoneExpired(t: Tombstone, now: number, expiredMs: number): boolean {
      return m.collectTombstonesAtOnce ? true : super.tombstoneExpired(t, now, expiredMs);
    }
  }
  return class MutantDistro extends DistroProtocol {
    protected override createProcessor(...a: ConstructorParameters<typeof DistroDataProcessor>): DistroDataProcessor {
      return new Processor(...a);
    }
    protected override createVerify(d: VerifyDeps): DistroVerifyTask {
      return new MutantVerify(d);
    }
    protected override createCleaner(...a: ConstructorParameters<typeof DistroReplicaCleaner>): DistroReplicaCleaner {
      return new MutantCleaner(...a);
    }
    protected override queueDelete(id: string): void {
      if (!m.skipDeleteSync) super.queueDelete(id);
    }
  };
}

/** Builds a member's Distro core with the given bugs. */
export function newDistro(d: DistroDeps, m: DistroMutations = {}): DistroProtocol {
  return new (distroClass(m))(d);
}
