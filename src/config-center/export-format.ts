/**
 * Nacos' config export archive, without I/O (docs/protocol/config.md §3.9): entries named
 * `<group>/<dataId>` hold the content; the v1 layout adds `.meta.yml` with one
 * `<group>.<dataId, last '.' → '~'>.app=<appName>` line per config that has an app name; the v2
 * layout always adds `.metadata.yml`, a YAML list of each config's metadata. Reading accepts
 * both, and the YAML subset the v2 layout is written in (a `metadata:` block list of flat maps
 * with plain, single- or double-quoted scalars).
 */
import type { ConfigRecord } from './types.js';

export const META_V1 = '.meta.yml';
export const META_V2 = '.metadata.yml';

export interface ArchiveItem {
  readonly group: string;
  readonly dataId: string;
  readonly content: string;
}

/** What an archive says about one config besides its content. */
export interface ArchiveMeta {
  readonly dataId: string;
  readonly group: string;
  readonly type?: string;
  readonly appName?: string;
  readonly desc?: string;
  readonly configTags?: string;
}

export class ArchiveMetaError extends Error {}

const v1MetaKey = (group: string, dataId: string): string => {
  const dot = dataId.lastIndexOf('.');
  return `${group}.${dot < 0 ? dataId : `${dataId.slice(0, dot)}~${dataId.slice(dot + 1)}`}.app`;
};

/** `.meta.yml` text, or null when no config has an app name (Nacos then writes no file). */
export function v1MetaText(records: readonly ConfigRecord[]): string | null {
  const lines = records.filter((r) => r.appName !== '').map((r) => `${v1MetaKey(r.group, r.dataId)}=${r.appName}\r\n`);
  return lines.length === 0 ? null : lines.join('');
}

const PLAIN = /^[A-Za-z0-9_./-][A-Za-z0-9_./ :-]*$/;
const YAML_WORDS = /^(?:true|false|yes|no|on|off|null|~|y|n|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|\.inf|\.nan)$/i;

function scalar(v: string): string {
  return PLAIN.test(v) && !v.endsWith(' ') && !v.includes(': ') && !YAML_WORDS.test(v) ? v : JSON.stringify(v);
}

/** `.metadata.yml` text: fields in name order, empty ones left out (SnakeYAML drops nulls). */
export function v2MetaText(records: readonly ConfigRecord[]): string {
  if (records.length === 0) return 'metadata: []\n';
  const out = ['metadata:'];
  for (const r of records) {
    const fields: Array<[string, string]> = [
      ['appName', r.appName],
      ['configTags', r.configTags.join(',')],
      ['dataId', r.dataId],
      ['desc', r.desc],
      ['group', r.group],
      ['type', r.type],
    ];
    let first = true;
    for (const [k, v] of fields) {
      if (v === '') continue;
      out.push(`${first ? '- ' : '  '}${k}: ${scalar(v)}`);
      first = false;
    }
  }
  return `${out.join('\n')}\n`;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.startsWith('"')) {
    try {
      const s: unknown = JSON.parse(v);
      if (typeof s === 'string') return s;
    } catch {
      // fall through
    }
    throw new ArchiveMetaError(`bad quoted value ${v}`);
  }
  if (v.startsWith("'")) {
    if (!v.endsWith("'") || v.length < 2) throw new ArchiveMetaError(`bad quoted value ${v}`);
    return v.slice(1, -1).replace(/''/g, "'");
  }
  return v === '~' || v === 'null' ? '' : v;
}

/** The items of a `.metadata.yml`; each must name dataId, group and type (ArchiveMetaError otherwise). */
export function parseV2Meta(text: string): ArchiveMeta[] {
  const items: Array<Record<string, string>> = [];
  let cur: Record<string, string> | null = null;
  let seenRoot = false;
  for (const rawLine of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (rawLine.trim() === '' || rawLine.trimStart().startsWith('#')) continue;
    if (!seenRoot) {
      const root = /^metadata:\s*(\[\s*\])?\s*$/.exec(rawLine);
      if (!root) throw new ArchiveMetaError('expected "metadata:"');
      seenRoot = true;
      continue;
    }
    const m = /^\s*(-\s+)?([A-Za-z]+):(?:\s+(.*))?$/.exec(rawLine);
    if (!m) throw new ArchiveMetaError(`unreadable line ${rawLine}`);
    if (m[1] !== undefined) {
      cur = {};
      items.push(cur);
    }
    if (!cur) throw new ArchiveMetaError('a field outside a list item');
    cur[m[2]!] = unquote(m[3] ?? '');
  }
  return items.map((it) => {
    const { dataId, group, type } = it;
    if (!dataId || !group || !type) throw new ArchiveMetaError('every metadata item needs dataId, group and type');
    return { dataId, group, type, appName: it['appName'] ?? '', desc: it['desc'] ?? '', configTags: it['configTags'] ?? '' };
  });
}

/** App names by `group/dataId` from a `.meta.yml`; a line that is not `k=v` → ArchiveMetaError. */
export function parseV1Meta(text: string, items: readonly ArchiveItem[]): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ArchiveMetaError(`bad metadata line ${line}`);
    byKey.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const out = new Map<string, string>();
  for (const it of items) {
    const app = byKey.get(v1MetaKey(it.group, it.dataId));
    if (app !== undefined) out.set(`${it.group}/${it.dataId}`, app);
  }
  return out;
}

/** The config type a v1 archive implies: the dataId's extension when it is a known type, else `text`. */
export function typeFromDataId(dataId: string, known: readonly string[]): string {
  const dot = dataId.lastIndexOf('.');
  const ext = dot < 0 ? '' : dataId.slice(dot + 1).toLowerCase();
  return known.includes(ext) ? ext : 'text';
}

/** `group/dataId` of a content entry, or null for a name that is not exactly two non-empty parts. */
export function splitEntryName(name: string): { group: string; dataId: string } | null {
  const parts = name.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return null;
  return { group: parts[0]!, dataId: parts[1]! };
}
