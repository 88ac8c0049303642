/** Counters of one Distro member; `DistroProtocol.stats()` returns a snapshot of these plus gauges. */
export interface DistroCounters {
  syncMessagesSent: number;
  syncEntriesSent: number;
  syncBytesSent: number;
  syncMessagesFailed: number;
  syncEntriesRetried: number;
  /** Entries dropped at send time (client no longer ours, or nothing to say). */
  syncEntriesSkipped: number;
  /** Entries dropped because their peer left the member list. */
  syncEntriesDropped: number;
  applied: number;
  appliedDeletes: number;
  /** Same state received again (duplicates, repairs of an up-to-date replica). */
  duplicates: number;
  /** Older than what we hold (answered with our state). */
  stale: number;
  /** Data for a connection this member holds natively (never overwritten from outside). */
  ignored: number;
  applyErrors: number;
  /** States learned from a peer's answer and adopted because we are responsible. */
  adopted: number;
  verifyRounds: number;
  verifyMessagesSent: number;
  verifyMessagesFailed: number;
  verifyRepairs: number;
  leasesRenewed: number;
  /** Connection replicas removed because the owner's verify no longer lists them (restart). */
  removedByAsOf: number;
  /** Hand-over DELETEs whose client was kept until covered (docs/operations.md "Drain", step 4). */
  handoverHolds: number;
  expiredReplicas: number;
  tombstonesCollected: number;
  snapshotChunksServed: number;
  snapshotEntriesLoaded: number;
  /** Local changes to clients this member is not responsible for (should stay 0). */
  nonOwnerLocalChanges: number;
}

export function newCounters(): DistroCounters {
  return {
    syncMessagesSent: 0,
    syncEntriesSent: 0,
    syncBytesSent: 0,
    syncMessagesFailed: 0,
    syncEntriesRetried: 0,
    syncEntriesSkipped: 0,
    syncEntriesDropped: 0,
    applied: 0,
    appliedDeletes: 0,
    duplicates: 0,
    stale: 0,
    ignored: 0,
    applyErrors: 0,
    adopted: 0,
    verifyRounds: 0,
    verifyMessagesSent: 0,
    verifyMessagesFailed: 0,
    verifyRepairs: 0,
    leasesRenewed: 0,
    removedByAsOf: 0,
    handoverHolds: 0,
    expiredReplicas: 0,
    tombstonesCollected: 0,
    snapshotChunksServed: 0,
    snapshotEntriesLoaded: 0,
    nonOwnerLocalChanges: 0,
  };
}

export interface PeerStats {
  state: string;
  pending: number;
  inFlight: number;
  paused: boolean;
  lastVerifyAt: number | null;
  lastVerifyOk: boolean | null;
}

export interface DistroStats {
  self: string;
  standalone: boolean;
  loaded: boolean;
  /** ms from start() to loaded; null while loading. */
  loadTimeMs: number | null;
  loadWarning: string | null;
  healthyMembers: number;
  /** Clients this member is responsible for. */
  responsible: number;
  /** Clients held as replicas. */
  replicas: number;
  tombstones: number;
  /** Clients deleted by a hand-over DELETE and still kept until covered. */
  heldAfterHandover: number;
  verify: {
    mode: string;
    /** Request + response bytes of the last completed verify round, all peers. */
    lastRoundBytes: number;
    totalBytes: number;
  };
  counters: DistroCounters;
  peers: Record<string, PeerStats>;
}
