/**
 * Distro settings. Nacos keys where Nacos has one (docs/protocol/distro.md §0); `nomen.distro.*` for our own.
 * The defaults differ from Nacos where Nacos' value is a known weakness; each difference is
 * explained in docs/distro.md. `src/config/keys.ts` should register these keys when the server
 * wires the core (see DISTRO_CONFIG_KEYS).
 */
export type VerifyMode = 'digest' | 'per-client';

export interface DistroConfig {
  /** Change → send delay; bursts for one client within it collapse into one message (Nacos: 1000). */
  syncDelayMs: number;
  /** Per-message timeout of a sync. */
  syncTimeoutMs: number;
  /** Delay before a failed sync entry is re-sent (Nacos: 3000). */
  syncRetryDelayMs: number;
  /** Max entries in one sync message to one peer. */
  syncBatchMaxEntries: number;
  /** Approximate max JSON bytes of one sync message (the first entry is always sent). */
  syncBatchMaxBytes: number;
  /** Max sync messages in flight to one peer. */
  syncMaxInFlight: number;
  verifyIntervalMs: number;
  verifyTimeoutMs: number;
  verifyMode: VerifyMode;
  /** Buckets of the digest verify (clients hashed by id). */
  verifyBuckets: number;
  /** Per-request timeout of a snapshot chunk request. */
  loadTimeoutMs: number;
  /** Delay between snapshot load rounds (Nacos: 30000, docs/protocol/distro.md §8.A6). */
  loadRetryDelayMs: number;
  /** After this long without completing the load, mark loaded anyway (with a warning); verify repairs. */
  loadGiveUpMs: number;
  /** Approximate max JSON bytes of one snapshot chunk (docs/protocol/distro.md §8.A4). */
  loadChunkMaxBytes: number;
  /** `nacos.naming.client.expired.time`: lease of a replica not renewed by verify; also tombstone lifetime. */
  clientExpiredMs: number;
  /** How often replica leases and tombstones are swept (Nacos cleaner: 5000). */
  expiryCheckIntervalMs: number;
}

export const DEFAULT_DISTRO_CONFIG: Readonly<DistroConfig> = Object.freeze({
  syncDelayMs: 20,
  syncTimeoutMs: 3000,
  syncRetryDelayMs: 1000,
  syncBatchMaxEntries: 256,
  syncBatchMaxBytes: 1024 * 1024,
  syncMaxInFlight: 2,
  verifyIntervalMs: 5000,
  verifyTimeoutMs: 3000,
  verifyMode: 'digest',
  verifyBuckets: 256,
  loadTimeoutMs: 30000,
  loadRetryDelayMs: 1000,
  loadGiveUpMs: 30000,
  loadChunkMaxBytes: 1024 * 1024,
  clientExpiredMs: 180000,
  expiryCheckIntervalMs: 5000,
});

/** Property key of every setting (for the server's config schema and docs). */
export const DISTRO_CONFIG_KEYS: Readonly<Record<keyof DistroConfig, string>> = Object.freeze({
  syncDelayMs: 'nacos.core.protocol.distro.data.sync.delayMs',
  syncTimeoutMs: 'nacos.core.protocol.distro.data.sync.timeoutMs',
  syncRetryDelayMs: 'nacos.core.protocol.distro.data.sync.retryDelayMs',
  syncBatchMaxEntries: 'nomen.distro.sync.batch-max-entries',
  syncBatchMaxBytes: 'nomen.distro.sync.batch-max-bytes',
  syncMaxInFlight: 'nomen.distro.sync.max-in-flight',
  verifyIntervalMs: 'nacos.core.protocol.distro.data.verify.intervalMs',
  verifyTimeoutMs: 'nacos.core.protocol.distro.data.verify.timeoutMs',
  verifyMode: 'nomen.distro.verify.mode',
  verifyBuckets: 'nomen.distro.verify.buckets',
  loadTimeoutMs: 'nacos.core.protocol.distro.data.load.timeoutMs',
  loadRetryDelayMs: 'nacos.core.protocol.distro.data.load.retryDelayMs',
  loadGiveUpMs: 'nomen.distro.load.give-up-ms',
  loadChunkMaxBytes: 'nomen.distro.load.chunk-max-bytes',
  clientExpiredMs: 'nacos.naming.client.expired.time',
  expiryCheckIntervalMs: 'nomen.distro.expiry.check-interval-ms',
});

/** Fills missing settings with defaults and rejects nonsense values. */
export function distroConfig(partial: Partial<DistroConfig> = {}): DistroConfig {
  const c: DistroConfig = { ...DEFAULT_DISTRO_CONFIG, ...partial };
  const positive: (keyof DistroConfig)[] = [
    'syncTimeoutMs', 'syncBatchMaxEntries', 'syncBatchMaxBytes', 'syncMaxInFlight', 'verifyIntervalMs', 'verifyTimeoutMs',
    'verifyBuckets', 'loadTimeoutMs', 'loadChunkMaxBytes', 'clientExpiredMs', 'expiryCheckIntervalMs',
  ];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`distro config ${DISTRO_CONFIG_KEYS[k]} must be > 0 (got ${String(v)})`);
  }
  for (const k of ['syncDelayMs', 'syncRetryDelayMs', 'loadRetryDelayMs', 'loadGiveUpMs'] as const) {
    if (!Number.isFinite(c[k]) || c[k] < 0) throw new Error(`distro config ${DISTRO_CONFIG_KEYS[k]} must be >= 0 (got ${c[k]})`);
  }
  if (c.verifyMode !== 'digest' && c.verifyMode !== 'per-client') throw new Error(`distro config ${DISTRO_CONFIG_KEYS.verifyMode} must be digest or per-client`);
  return c;
}
