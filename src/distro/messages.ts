/**
 * Distro cluster messages: typed, JSON-serialisable (plain objects, arrays, strings, numbers,
 * booleans, null). The real transport encodes each as JSON in the Nacos Payload codec; the
 * simulator round-trips them through JSON to prove they survive it.
 *
 * Versions: every client state carries `version` (the owner's HLC value, = the client's revision)
 * and `writer` (the member that issued the version); states are ordered by (version, writer).
 */
import type { ClientSyncData } from '../core/client.js';

/** One client's state as shipped: its data, or its deletion. */
export type SyncEntry = ChangeEntry | DeleteEntry;

export interface ChangeEntry {
  readonly op: 'change';
  /** `data.revision` is the version. */
  readonly data: ClientSyncData;
  readonly writer: string;
}

export interface DeleteEntry {
  readonly op: 'delete';
  readonly clientId: string;
  /** The version the owner issued for the deletion (above every version of the client's data). */
  readonly version: number;
  readonly writer: string;
  /**
   * The owner released a handed-over connection client (its SDK registered again elsewhere): a
   * replica keeps the client's instances listed until it holds the covering client, bounded
   * (docs/operations.md "Drain", step 4). Absent: an ordinary deletion.
   */
  readonly handover?: true;
}

/** Owner → replica: current state of some clients (batched, one message per peer per round). */
export interface SyncRequest {
  readonly type: 'sync';
  readonly from: string;
  readonly entries: readonly SyncEntry[];
}

/**
 * Verify, step 1 (digest mode): clients the sender is responsible for, bucketed by
 * `fnv1a32(clientId) % buckets`; per non-empty bucket `[bucket, count, digest]` where digest is the
 * 32-bit sum of `fnv1a32(clientId|version|writer)`.
 */
export interface VerifyDigestRequest {
  readonly type: 'verify-digest';
  readonly from: string;
  /** Sender's HLC when the list was taken: every client it created before has a lower version. */
  readonly asOf: number;
  readonly buckets: number;
  readonly digests: readonly (readonly [bucket: number, count: number, digest: number])[];
}

/** `[clientId, version]`, or `[clientId, version, writer]` when the writer is not the sender. */
export type VerifyItem = readonly [clientId: string, version: number, writer?: string];

/**
 * Verify, per-client list: every client the sender is responsible for (`scope` null), or only
 * those in the given buckets (digest mode, step 2).
 */
export interface VerifyListRequest {
  readonly type: 'verify-list';
  readonly from: string;
  readonly asOf: number;
  /** Bucket count the scope refers to; null with `scope` null. */
  readonly buckets: number | null;
  readonly scope: readonly number[] | null;
  readonly clients: readonly VerifyItem[];
}

/** Start-up load: one chunk of the responder's data, clients with id > cursor in id order. */
export interface SnapshotRequest {
  readonly type: 'snapshot';
  readonly from: string;
  readonly cursor: string | null;
  readonly maxBytes: number;
}

export type DistroRequest = SyncRequest | VerifyDigestRequest | VerifyListRequest | SnapshotRequest;

/**
 * `newer`: entries for which the receiver holds a later state than the one sent (its state is
 * returned so a responsible sender can adopt it). `failed`: entries whose apply threw (re-sent).
 */
export interface SyncResponse {
  readonly type: 'sync-ack';
  readonly newer: readonly SyncEntry[];
  readonly failed: readonly string[];
}

export interface VerifyDigestResponse {
  readonly type: 'verify-digest-result';
  readonly mismatched: readonly number[];
}

/**
 * `need`: clients the receiver lacks or holds at an older state (the sender re-sends them now).
 * `newer`: clients the receiver holds at a later state (as in SyncResponse).
 * `extra`: ip-port clients in scope the receiver holds as the sender's but the sender did not list
 * (the sender answers with a DELETE if it knows of one).
 */
export interface VerifyListResponse {
  readonly type: 'verify-list-result';
  readonly need: readonly string[];
  readonly newer: readonly SyncEntry[];
  readonly extra: readonly string[];
}

/** A snapshot entry: a client's state plus what the responder knows of its owner and lease. */
export type SnapshotEntry =
  | (ChangeEntry & { readonly owner: string; /** ms since the lease was last renewed */ readonly age: number })
  | DeleteEntry;

export interface SnapshotResponse {
  readonly type: 'snapshot-chunk';
  /** Whether the responder itself has finished loading. */
  readonly loaded: boolean;
  readonly entries: readonly SnapshotEntry[];
  /** Cursor for the next chunk, or null when this was the last one. */
  readonly next: string | null;
}

export interface ErrorResponse {
  readonly type: 'error';
  readonly message: string;
}

export type DistroResponse = SyncResponse | VerifyDigestResponse | VerifyListResponse | SnapshotResponse | ErrorResponse;

/** What the sender gets back: a response, or a local failure (timeout, unreachable, not connected). */
export type DistroOutcome = DistroResponse | { readonly type: 'failed'; readonly reason: string };

/** The response type that answers each request type. */
export interface ResponseOf {
  sync: SyncResponse;
  'verify-digest': VerifyDigestResponse;
  'verify-list': VerifyListResponse;
  snapshot: SnapshotResponse;
}

/** JSON size used for batching caps and byte counters (UTF-16 length; close enough for ASCII ids). */
export function jsonSize(v: unknown): number {
  return JSON.stringify(v).length;
}
