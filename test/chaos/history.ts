/**
 * The recorded history of a chaos run and its checks (docs/reliability.md "Checks").
 *
 * Persistent data (service metadata, persistent instances) is a set of registers: key → value
 * (the `v` metadata entry the workload wrote, or null when absent). Reads are served from a
 * member's applied state without a leader round (docs/raft.md "Reads"), so a read taken *during*
 * the run may be stale: it is recorded with `stale: true` and may linearize at any point before it
 * returned (as if its call time were the start of the history; `prepare` below). That is exact for local reads:
 * every member applies the same log, so a read equals the register right after some committed
 * entry, committed before the read returned. The final reads, taken after the faults healed and
 * every member applied the leader's commit index, keep their real call time: they prove that no
 * acknowledged write was lost and that all members ended on the same last write.
 * Writes whose answer was not a success are unknown (they may or may not take effect): ret = ∞.
 */
import { checkLinearizable, type RegOp } from '../sim/raft-linearizability.js';

export interface HistOp {
  kind: 'w' | 'r';
  key: string;
  value: string | null;
  call: number;
  /** Infinity: no success answer (unknown outcome for a write). */
  ret: number;
  /** Which member took the request. */
  member: number;
  client: number;
  /** A read that may see a stale applied state (any read before the final round). */
  stale?: boolean;
}

export interface PersistentVerdict {
  ok: boolean;
  keys: number;
  ops: number;
  reason?: string;
  /** The first key that is not linearizable, with its ops, for the report. */
  failure?: { key: string; ops: HistOp[] };
}

/**
 * Turns the history into register ops for the Wing–Gong search, keeping its verdict:
 * - a stale read of null can always sit at the start (every register starts empty): dropped;
 * - a stale read of value v (values are unique) can always sit right after the write of v, so it
 *   only requires that write to take effect before the read returned: the write's `ret` becomes
 *   `min(ret, read.ret)`, and the read is dropped. A value no write produced, or a write invoked
 *   after the read returned, is an anomaly on its own;
 * - a write with unknown outcome that no read observed can always be linearized last (after the
 *   final reads, invisible): dropped. This keeps the search small (hundreds of failed writes during
 *   partitions would otherwise stay concurrent with everything after them).
 */
export function prepare(history: readonly HistOp[]): { ops: RegOp[]; anomalies: { key: string; text: string }[] } {
  const anomalies: { key: string; text: string }[] = [];
  const writes = new Map<string, RegOp & { observed: boolean }>();
  const ops: (RegOp & { observed: boolean })[] = [];
  for (const h of history) {
    if (h.kind !== 'w') continue;
    const op = { kind: 'w' as const, key: h.key, value: h.value, call: h.call, ret: h.ret, client: h.client, observed: false };
    ops.push(op);
    if (h.value !== null) writes.set(`${h.key}\u0000${h.value}`, op);
  }
  for (const h of history) {
    if (h.kind !== 'r') continue;
    const w = h.value === null ? undefined : writes.get(`${h.key}\u0000${h.value}`);
    if (h.value !== null && !w) {
      anomalies.push({ key: h.key, text: `${h.key}: m${h.member} returned ${JSON.stringify(h.value)}, which no client wrote` });
      continue;
    }
    if (w) w.observed = true;
    if (!h.stale) {
      ops.push({ kind: 'r', key: h.key, value: h.value, call: h.call, ret: h.ret, client: h.client, observed: true });
      continue;
    }
    if (!w) continue;
    if (w.call > h.ret) anomalies.push({ key: h.key, text: `${h.key}: m${h.member} returned ${JSON.stringify(h.value)} before its write was invoked` });
    else w.ret = Math.min(w.ret, h.ret);
  }
  const kept = ops.filter((o) => o.kind === 'r' || o.ret !== Infinity || o.observed);
  return { ops: kept.map(({ observed: _o, ...op }) => op), anomalies };
}

/** Per-key Wing–Gong search over the prepared history (test/sim/raft-linearizability.ts). */
export function checkPersistent(history: readonly HistOp[]): PersistentVerdict {
  const keys = new Set(history.map((h) => h.key)).size;
  const { ops, anomalies } = prepare(history);
  if (anomalies.length > 0) {
    const { key, text } = anomalies[0]!;
    return { ok: false, keys, ops: history.length, reason: text, failure: { key, ops: history.filter((h) => h.key === key) } };
  }
  const r = checkLinearizable(ops, 20_000_000);
  if (r.ok) return { ok: true, keys, ops: history.length };
  return { ok: false, keys, ops: history.length, reason: `${r.key}: no linearization`, failure: { key: r.key, ops: history.filter((h) => h.key === r.key) } };
}

/** Ephemeral view check: what a member lists for one service vs. the live clients' registrations. */
export interface EphemeralDiff {
  member: number;
  service: string;
  ghosts: string[];
  lost: string[];
}

export function diffEphemeral(member: number, service: string, expected: ReadonlySet<string>, listed: readonly string[]): EphemeralDiff | null {
  const seen = new Set(listed);
  const ghosts = [...seen].filter((x) => !expected.has(x)).sort();
  const lost = [...expected].filter((x) => !seen.has(x)).sort();
  return ghosts.length + lost.length === 0 ? null : { member, service, ghosts, lost };
}
