/**
 * HTTP long polling of configs (docs/protocol/config.md §3.4, docs/config-center.md "Listening and
 * pushes"): the parsing of the `Listening-Configs` field, the answer text, and the held polls.
 *
 * A poll lists keys with the md5 the client holds. If any already differs it is answered at once;
 * otherwise it is held until a listened key changes on this member (answered at once with that
 * key, only if its md5 for this client now differs) or until its hold time ends (answered with no
 * key). The number of held polls is capped. Deterministic: time comes from the injected clock.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { badRequest } from '../core/errors.js';
import { normalizeTenant } from './config-keys.js';
import { keyId } from './listeners.js';
import type { ClientLabels, ConfigCenter, ConfigKey } from './types.js';

const WORD = '\u0002';
const LINE = '\u0001';

/** Most entries in one `Listening-Configs` field (Nacos' limit). */
export const MAX_POLL_ENTRIES = 10_000;

export const INVALID_PROBE = 'caused: invalid probeModify;';

/** One line of `Listening-Configs`. */
export interface PollEntry {
  /** Under the normalized namespace. */
  readonly key: ConfigKey;
  readonly md5: string;
  /** The tenant word as sent; null for the 3-word form or a blank tenant (then left out of the answer). */
  readonly sentTenant: string | null;
}

/**
 * Decodes the field value a second time, as Nacos does after the form decoding (`+` becomes a
 * space, a bad escape is an error).
 */
function decodeAgain(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    throw badRequest(INVALID_PROBE);
  }
}

/**
 * Parses `Listening-Configs` (already form-decoded once): entries `dataId^2group^2md5^1` or
 * `dataId^2group^2md5^2tenant^1`. A blank field, an entry with fewer than 3 or more than 4 words,
 * or more than MAX_POLL_ENTRIES entries is a 400 `caused: invalid probeModify;`. Text after the
 * last `^1` is ignored (Nacos reads only terminated entries). A key listed twice keeps its last md5.
 */
export function parseListeningConfigs(raw: string | undefined): PollEntry[] {
  if (raw === undefined || raw.trim() === '') throw badRequest(INVALID_PROBE);
  const text = decodeAgain(raw);
  const lines = text.split(LINE);
  const byKey = new Map<string, PollEntry>();
  // The last piece follows the last LINE: unterminated (or empty), ignored.
  for (let i = 0; i < lines.length - 1; i++) {
    const words = lines[i]!.split(WORD);
    if (words.length < 3 || words.length > 4) throw badRequest(INVALID_PROBE);
    const [dataId, group, md5, tenantWord] = words as [string, string, string, string | undefined];
    const sent = tenantWord !== undefined && tenantWord.trim() !== '' ? tenantWord : null;
    const entry: PollEntry = { key: { tenant: normalizeTenant(tenantWord), group, dataId }, md5, sentTenant: sent };
    byKey.set(keyId(entry.key), entry);
    if (byKey.size > MAX_POLL_ENTRIES) throw badRequest(INVALID_PROBE);
  }
  return [...byKey.values()];
}

/** Java's `URLEncoder.encode(s, "UTF-8")`: unreserved `a-zA-Z0-9.-*_`, space as `+`. */
function javaUrlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The answer body: `dataId^2group[^2tenant]^1` per changed entry, URL-encoded as a whole, plus a
 * newline; the tenant word only when the client sent a non-blank one. No entries: ''.
 */
export function pollAnswer(changed: readonly PollEntry[]): string {
  if (changed.length === 0) return '';
  let s = '';
  for (const e of changed) {
    s += `${e.key.dataId}${WORD}${e.key.group}`;
    if (e.sentTenant !== null) s += `${WORD}${e.sentTenant}`;
    s += LINE;
  }
  return `${javaUrlEncode(s)}\n`;
}

/** The entries whose md5 differs from what a client with these labels should hold. */
export function changedEntries(center: Pick<ConfigCenter, 'md5'>, entries: readonly PollEntry[], labels: ClientLabels): PollEntry[] {
  return entries.filter((e) => center.md5(e.key, labels) !== e.md5);
}

/** Nacos: hold = max(10 s, Long-Pulling-Timeout − 500 ms). */
export function holdTimeMs(longPullingTimeout: number): number {
  return Math.max(10_000, longPullingTimeout - 500);
}

export interface HeldPoll {
  readonly entries: readonly PollEntry[];
  readonly labels: ClientLabels;
  /** When it was taken (epoch ms). */
  readonly since: number;
}

interface Holder extends HeldPoll {
  /** keyId of each entry, in the order of `entries`. */
  readonly ids: readonly string[];
  readonly done: (answer: string) => void;
  timer: TimerHandle | null;
}

/** A held poll's entry for a key id (polls list few keys: a scan beats a map per poll). */
function entryOf(h: Holder, id: string): PollEntry | undefined {
  const i = h.ids.indexOf(id);
  return i < 0 ? undefined : h.entries[i];
}

export class LongPollHub {
  /** keyId → holders listing it. */
  private readonly byKey = new Map<string, Set<Holder>>();
  private readonly holders = new Set<Holder>();
  /** Polls answered because a listened key changed (monotonic). */
  releasedByChange = 0;

  constructor(
    private readonly center: Pick<ConfigCenter, 'md5'>,
    private readonly clock: Clock,
    private readonly maxHolders: number,
  ) {}

  /** Held polls now. */
  size(): number {
    return this.holders.size;
  }

  /**
   * Holds a poll for `holdMs`; `done` is called exactly once, with the answer body (`pollAnswer`
   * of the changed entries after a change, '' when the hold time ended), unless the returned
   * cancel runs first (the client went away). Returns null when the cap is reached (nothing is
   * held). `entries` lists each key once (`parseListeningConfigs`).
   */
  hold(entries: readonly PollEntry[], labels: ClientLabels, holdMs: number, done: (answer: string) => void): (() => void) | null {
    if (this.holders.size >= this.maxHolders) return null;
    const ids = entries.map((e) => keyId(e.key));
    const h: Holder = { entries, ids, labels, since: this.clock.now(), done, timer: null };
    this.holders.add(h);
    for (const id of ids) {
      let set = this.byKey.get(id);
      if (!set) this.byKey.set(id, (set = new Set()));
      set.add(h);
    }
    h.timer = this.clock.setTimeout(() => this.finish(h, ''), holdMs);
    return () => this.remove(h);
  }

  /**
   * A key changed on this member: answer every held poll listing it whose md5 for that client now
   * differs. One change reaches up to thousands of polls that mostly share a few (client IP, tag)
   * pairs and tenant words, so the md5 is looked up once per pair and the answer built once per
   * tenant word (docs/config-center.md "Listening and pushes").
   */
  configChanged(key: ConfigKey): void {
    const id = keyId(key);
    const set = this.byKey.get(id);
    if (!set) return;
    const md5s = new Map<string, string>();
    const answers = new Map<string | null, string>();
    for (const h of [...set]) {
      const entry = entryOf(h, id);
      if (!entry) continue;
      const who = h.labels.tag === undefined ? h.labels.clientIp : `${h.labels.clientIp}\u0000${h.labels.tag}\u0000${h.labels.tagRequested === true}`;
      let md5 = md5s.get(who);
      if (md5 === undefined) md5s.set(who, (md5 = this.center.md5(key, h.labels)));
      if (md5 === entry.md5) continue;
      let answer = answers.get(entry.sentTenant);
      if (answer === undefined) answers.set(entry.sentTenant, (answer = pollAnswer([entry])));
      this.releasedByChange++;
      this.finish(h, answer);
    }
  }

  /** Every held poll (listener status queries). */
  held(): Iterable<HeldPoll> {
    return this.holders;
  }

  /** Answers every held poll with no key (server stopping). */
  releaseAll(): void {
    for (const h of [...this.holders]) this.finish(h, '');
  }

  private finish(h: Holder, answer: string): void {
    if (!this.remove(h)) return;
    h.done(answer);
  }

  private remove(h: Holder): boolean {
    if (!this.holders.delete(h)) return false;
    h.timer?.cancel();
    for (const id of h.ids) {
      const set = this.byKey.get(id);
      set?.delete(h);
      if (set?.size === 0) this.byKey.delete(id);
    }
    return true;
  }
}
