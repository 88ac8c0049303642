/**
 * Coalescing of the messages of one Ready (docs/raft.md "Host loop contract", "Coalesced
 * messages"): fewer, larger messages with the same meaning.
 *
 *  - Appends with entries from the leader to one follower, in one term, that continue each other
 *    (the second starts where the first ends) become one append carrying both runs of entries (at
 *    most `maxEntriesPerMsg` entries) and the later commit index. The leader proposes entry by
 *    entry, so without this every proposal of a Ready travelled as a message of its own.
 *  - Acknowledgements (non-rejecting `appResp`) from a follower to one leader, in one term, become
 *    the one with the highest index: an ack of `i` says "my log matches yours up to `i`", which the
 *    ack of a higher index implies; the leader's progress and in-flight window advance to the
 *    highest index either way.
 *
 * Rejections, entry-less appends (commit announcements), heartbeats, votes and snapshots are kept
 * as they are. Both kinds coalesced are sent after the Ready's write (they are never in
 * `messagesBeforeSync`), so coalescing never moves a message across the write.
 */
import type { Message } from './types.js';

export function coalesceMessages(msgs: Message[], maxEntriesPerMsg: number): Message[] {
  if (msgs.length < 2) return msgs;
  /** null: an ack replaced by a later one. */
  const out: (Message | null)[] = [];
  let dropped = 0;
  /** `to|term` → position in `out` of the last append with entries to that peer. */
  const apps = new Map<string, number>();
  /** `to|term` → position in `out` of the ack kept for that peer. */
  const acks = new Map<string, number>();
  for (const m of msgs) {
    if (m.type === 'app' && m.entries.length > 0) {
      const key = `${m.to}|${m.term}`;
      const at = apps.get(key);
      const prev = at === undefined ? undefined : out[at];
      if (
        at !== undefined &&
        prev?.type === 'app' &&
        prev.index + prev.entries.length === m.index &&
        prev.entries.length + m.entries.length <= maxEntriesPerMsg
      ) {
        out[at] = { ...prev, entries: [...prev.entries, ...m.entries], commit: Math.max(prev.commit, m.commit) };
        continue;
      }
      apps.set(key, out.length);
    } else if (m.type === 'appResp' && !m.reject) {
      // The kept ack takes the place of the last one: an ack never moves ahead of a rejection
      // sent before it (a leader must not read a stale rejection after a newer ack).
      const key = `${m.to}|${m.term}`;
      const at = acks.get(key);
      const prev = at === undefined ? undefined : out[at];
      if (at !== undefined && prev?.type === 'appResp') {
        out[at] = null;
        dropped++;
        acks.set(key, out.length);
        out.push(m.index >= prev.index ? m : { ...m, index: prev.index });
        continue;
      }
      acks.set(key, out.length);
    }
    out.push(m);
  }
  if (dropped === 0 && out.length === msgs.length) return msgs;
  return out.filter((m): m is Message => m !== null);
}
