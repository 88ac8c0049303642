/**
 * The configuration center's use cases (the `ConfigCenter` contract in types.ts) over the
 * persistent store: writes are computed from this member's index and proposed with batch
 * conditions the state machine decides at apply time (docs/config-center.md "Concurrent writes"),
 * so a CAS publish racing another write fails instead of overwriting, and history ids stay
 * unique across members. Reads are served from the in-memory index (`ConfigState`).
 */
import type { Clock } from '../core/clock.js';
import { NacosError } from '../core/errors.js';
import { ConditionFailedError, type PersistentStore, type StoreWrite } from '../persistence/persistent-store.js';
import { configRowKey, contentMd5, grayRowKey, normalizeKey, normalizeTenant, normalizeType } from './config-keys.js';
import type { ConfigState } from './config-state.js';
import { ConfigEncryption, type EncryptedRow, type Sealed } from './encryption.js';
import { BETA_GRAY_NAME, betaRule, matchGray, tagGrayName, tagRule } from './gray.js';
import { pageOf, searchRecords } from './search.js';
import type {
  ClientLabels,
  ConfigCenter,
  ConfigChangeListener,
  ConfigKey,
  ConfigRecord,
  ConfigView,
  GrayRule,
  GrayVariant,
  HistoryEntry,
  Page,
  PublishInput,
  RemoveInput,
  SearchQuery,
} from './types.js';
import { checkAdvanceInfo, checkKey, checkKeyAndContent, checkTag, checkTenant, parseConfigTags } from './validation.js';

export interface ConfigServiceOptions {
  readonly store: PersistentStore;
  readonly state: ConfigState;
  readonly clock: Clock;
  /** Most characters of a content (Nacos `maxContent`). */
  readonly maxContent: number;
  /** Most gray variants of one config (`nacos.config.gray.version.max.count`). */
  readonly maxGrayVersions: number;
  /** Most formal configs in all (ours). */
  readonly maxConfigs: number;
  /** The `cipher-` encryption plugins (docs/config-center.md "Encryption"); none by default. */
  readonly encryption?: ConfigEncryption;
}

export const CAS_FAILED_MESSAGE = 'Cas publish fail, server md5 may have changed.';
/** How often a write computed from a state that changed before it applied is recomputed. */
const WRITE_ATTEMPTS = 8;
/** Most remembered plaintext md5s of encrypted configs (then forgotten at once and recomputed). */
const PLAIN_MD5_CACHE = 10_000;

const casConflict = (): NacosError => new NacosError(500, CAS_FAILED_MESSAGE, 20005);

interface Who {
  readonly srcUser: string;
  readonly srcIp: string;
}

export class ConfigService implements ConfigCenter {
  private lastIssuedId = 0;
  private readonly enc: ConfigEncryption;
  /** Stored md5 → plaintext md5 of encrypted configs. */
  private readonly plainMd5 = new Map<string, string>();

  constructor(private readonly o: ConfigServiceOptions) {
    this.enc = o.encryption ?? new ConfigEncryption();
  }

  // ---- reads ----

  /** Reads serve the plaintext of encrypted configs (md5 stays the stored content's); a config that cannot be decrypted is a 500. */
  get(key: ConfigKey, labels?: ClientLabels): ConfigView | null {
    const view = this.storedView(key, labels);
    if (!view) return null;
    const plain = this.enc.open(view.dataId, view.content, view.encryptedDataKey);
    return plain ? { ...view, ...plain, record: view.record && this.enc.openOrKeep(view.record) } : view;
  }

  /**
   * Every read builds its view as one object literal: spreading `keyOf(k)` into it cost ≈ 14 µs
   * per read (measured in-process, docs/benchmarks.md "Configuration center"), more than the rest
   * of a gRPC read's handler together.
   */
  private storedView(key: ConfigKey, labels?: ClientLabels): ConfigView | null {
    const k = normalizeKey(key);
    const rec = this.o.state.record(k);
    const g = matchGray(this.o.state.grays(k), labels);
    if (g) {
      const type = rec?.type ?? 'text';
      const { content, md5, encryptedDataKey, modifyTime: lastModified } = g;
      const { tenant, group, dataId } = k;
      return g.rule.type === 'beta'
        ? { tenant, group, dataId, content, md5, type, encryptedDataKey, lastModified, record: rec, beta: true }
        : { tenant, group, dataId, content, md5, type, encryptedDataKey, lastModified, record: rec, beta: false, tag: g.rule.expr };
    }
    if (labels?.tagRequested && labels.tag) return null;
    if (!rec || rec.content === '') return null;
    return { tenant: k.tenant, group: k.group, dataId: k.dataId, content: rec.content, md5: rec.md5, type: rec.type, encryptedDataKey: rec.encryptedDataKey, lastModified: rec.modifyTime, beta: false, record: rec };
  }

  record(key: ConfigKey): ConfigRecord | null {
    const r = this.o.state.record(normalizeKey(key));
    return r && this.enc.openOrKeep(r);
  }

  md5(key: ConfigKey, labels?: ClientLabels): string {
    const k = normalizeKey(key);
    const row = matchGray(this.o.state.grays(k), labels) ?? this.o.state.record(k);
    return row ? this.servedMd5(row) : '';
  }

  /**
   * The md5 of what reads serve: the stored md5, or for an encrypted config the plaintext's
   * (remembered per stored md5, which is unique per encryption), so clients that hash what they
   * received (nacos-config, Java) listen with the md5 the server compares.
   */
  private servedMd5(row: EncryptedRow): string {
    if (row.encryptedDataKey === '' || !this.enc.enabled) return row.md5;
    const known = this.plainMd5.get(row.md5);
    if (known !== undefined) return known;
    const md5 = this.enc.openOrKeep(row).md5;
    if (this.plainMd5.size >= PLAIN_MD5_CACHE) this.plainMd5.clear();
    this.plainMd5.set(row.md5, md5);
    return md5;
  }

  /** A CAS md5 matches the stored md5 or the served one. */
  private casMatches(row: EncryptedRow, cas: string): boolean {
    return row.md5 === cas || this.servedMd5(row) === cas;
  }

  beta(key: ConfigKey): GrayVariant | null {
    const g = this.o.state.gray(normalizeKey(key), BETA_GRAY_NAME);
    return g && this.enc.openOrKeep(g);
  }

  grays(key: ConfigKey): readonly GrayVariant[] {
    return this.o.state.grays(normalizeKey(key)).map((g) => this.enc.openOrKeep(g));
  }

  search(q: SearchQuery): Page<ConfigRecord> {
    const page = searchRecords(this.o.state.records(), { ...q, tenant: normalizeTenant(q.tenant) });
    return { ...page, pageItems: page.pageItems.map((r) => this.enc.openOrKeep(r)) };
  }

  list(tenant: string): readonly ConfigRecord[] {
    const t = normalizeTenant(tenant);
    return [...this.o.state.records()]
      .filter((r) => r.tenant === t)
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((r) => this.enc.openOrKeep(r));
  }

  historyPage(key: ConfigKey, pageNo: number, pageSize: number): Page<HistoryEntry> {
    const ids = [...this.o.state.historyIds(normalizeKey(key))].reverse();
    const page = pageOf(ids, pageNo, pageSize);
    return { ...page, pageItems: page.pageItems.map((id) => this.enc.openOrKeep(this.o.state.historyEntry(id)!)) };
  }

  historyEntry(id: string): HistoryEntry | null {
    const n = parseId(id);
    const e = n === null ? null : this.o.state.historyEntry(n);
    return e && this.enc.openOrKeep(e);
  }

  /** The newest entry of the same key older than entry `id` (docs/config-center.md "History"). */
  historyPrevious(id: string): HistoryEntry | null {
    const n = parseId(id);
    const e = n === null ? null : this.o.state.historyEntry(n);
    if (!e || n === null) return null;
    const ids = this.o.state.historyIds(e);
    const at = ids.indexOf(n);
    const prev = at > 0 ? this.o.state.historyEntry(ids[at - 1]!) : null;
    return prev && this.enc.openOrKeep(prev);
  }

  size(): number {
    return this.o.state.size();
  }

  onChange(listener: ConfigChangeListener): () => void {
    return this.o.state.onChange(listener);
  }

  // ---- writes ----

  async publish(input: PublishInput): Promise<void> {
    checkKeyAndContent(input.dataId, input.group, input.content, this.o.maxContent);
    checkTenant(input.tenant);
    checkTag(input.tag);
    checkAdvanceInfo(input);
    const key = normalizeKey(input);
    const betaIps = input.betaIps?.trim() ?? '';
    const tag = input.tag?.trim() ?? '';
    if (betaIps !== '') return this.writeRetrying(() => this.grayPublish(key, BETA_GRAY_NAME, betaRule(betaIps), input));
    if (tag !== '') return this.writeRetrying(() => this.grayPublish(key, tagGrayName(tag), tagRule(tag), input));
    return this.writeRetrying(() => this.formalPublish(key, input));
  }

  async remove(input: RemoveInput): Promise<void> {
    checkKey(input.dataId, input.group);
    checkTenant(input.tenant);
    checkTag(input.tag);
    const key = normalizeKey(input);
    const tag = input.tag?.trim() ?? '';
    if (tag !== '') return this.writeRetrying(() => this.grayRemoval(key, tagGrayName(tag), input));
    return this.writeRetrying(() => this.fullRemoval(key, input));
  }

  async stopBeta(key: ConfigKey, who: Who): Promise<void> {
    const k = normalizeKey(key);
    return this.writeRetrying(() => this.grayRemoval(k, BETA_GRAY_NAME, who));
  }

  /**
   * Writes the batch `build` computes from the current state; when a batch condition failed (the
   * state changed between computing and applying), recomputes from the new state. `build` throws
   * the use case's own errors (a CAS mismatch) and returns null when there is nothing to write.
   */
  private async writeRetrying(build: () => StoreWrite[] | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const batch = build();
      if (batch === null) return;
      try {
        await this.o.store.write(batch);
        return;
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        if (attempt >= WRITE_ATTEMPTS) throw new NacosError(500, 'config write conflicted with concurrent writes too often, please retry', 20005);
      }
    }
  }

  /** A fresh id above every id this member has seen or issued (a clash with another member's fails its condition). */
  private nextId(): string {
    this.lastIssuedId = Math.max(this.lastIssuedId, this.o.state.highestId()) + 1;
    return String(this.lastIssuedId);
  }

  private now(floor = 0): number {
    return Math.max(this.o.clock.now(), floor);
  }

  /**
   * The content and data key a publish stores: as sent when the client sent a data key (it
   * encrypted itself, Nacos' rule), else encrypted by the dataId's plugin, else as sent.
   */
  private stored(key: ConfigKey, input: PublishInput): Sealed {
    const given = input.encryptedDataKey ?? '';
    if (given.trim() !== '') return { content: input.content, encryptedDataKey: given };
    return this.enc.seal(key.dataId, input.content) ?? { content: input.content, encryptedDataKey: given };
  }

  private formalPublish(key: ConfigKey, input: PublishInput): StoreWrite[] {
    const cur = this.o.state.record(key);
    const cas = input.casMd5?.trim() ?? '';
    // CAS on a missing config inserts (docs/protocol/config.md §5.2).
    if (cas !== '' && cur && cur.md5 !== '' && !this.casMatches(cur, cas)) throw casConflict();
    const hid = this.nextId();
    const now = this.now(cur?.modifyTime);
    if (!cur && this.o.state.size() >= this.o.maxConfigs) {
      throw new NacosError(429, `too many configs: at most ${this.o.maxConfigs} (nomen.config.limit.configs)`);
    }
    const { content, encryptedDataKey } = this.stored(key, input);
    const rec: ConfigRecord = {
      ...keyOf(key),
      id: cur?.id ?? hid,
      content,
      md5: contentMd5(content),
      type: normalizeType(input.type),
      appName: input.appName ?? cur?.appName ?? '',
      desc: input.desc ?? '',
      use: input.use ?? '',
      effect: input.effect ?? '',
      schema: input.schema ?? '',
      configTags: input.configTags === undefined ? (cur?.configTags ?? []) : parseConfigTags(input.configTags),
      encryptedDataKey,
      createTime: cur?.createTime ?? now,
      modifyTime: now,
      createUser: cur?.createUser ?? input.srcUser,
      createIp: cur?.createIp ?? input.srcIp,
      srcUser: input.srcUser,
      srcIp: input.srcIp,
    };
    // U and D rows keep the content before the change; I rows the new one (docs/protocol/config.md §3.8).
    const before = cur ?? rec;
    const history = this.historyRow(hid, key, rec.id, before, cur ? 'U' : 'I', '', formalExt(before), input, now);
    return [
      { table: 'config', key: configRowKey(key), value: rec, expect: cur ? { field: 'md5', equals: cur.md5 } : { absent: true } },
      { table: 'configHistory', key: hid, value: history, expect: { absent: true } },
    ];
  }

  private grayPublish(key: ConfigKey, grayName: string, rule: GrayRule, input: PublishInput): StoreWrite[] {
    const cur = this.o.state.gray(key, grayName);
    const cas = input.casMd5?.trim() ?? '';
    if (cas !== '' && cur && !this.casMatches(cur, cas)) throw casConflict();
    if (!cur && this.o.state.grays(key).length >= this.o.maxGrayVersions) {
      throw new NacosError(400, `gray config version is over max count :${this.o.maxGrayVersions}`, 20010);
    }
    const hid = this.nextId();
    const now = this.now(cur?.modifyTime);
    const { content, encryptedDataKey } = this.stored(key, input);
    const variant: GrayVariant = {
      ...keyOf(key),
      grayName,
      rule,
      content,
      md5: contentMd5(content),
      encryptedDataKey,
      appName: input.appName ?? cur?.appName ?? '',
      srcUser: input.srcUser,
      srcIp: input.srcIp,
      createTime: cur?.createTime ?? now,
      modifyTime: now,
    };
    const before = cur ?? variant;
    const configId = this.o.state.record(key)?.id ?? '0';
    const history = this.historyRow(hid, key, configId, before, cur ? 'U' : 'I', grayName, grayExt(before.rule), input, now);
    return [
      { table: 'configGray', key: grayRowKey(key, grayName), value: variant, expect: cur ? { field: 'md5', equals: cur.md5 } : { absent: true } },
      { table: 'configHistory', key: hid, value: history, expect: { absent: true } },
    ];
  }

  private grayRemoval(key: ConfigKey, grayName: string, who: Who): StoreWrite[] | null {
    const cur = this.o.state.gray(key, grayName);
    if (!cur) return null;
    return this.grayDeletes(key, [cur], who, this.now());
  }

  private grayDeletes(key: ConfigKey, variants: readonly GrayVariant[], who: Who, now: number): StoreWrite[] {
    const configId = this.o.state.record(key)?.id ?? '0';
    return variants.flatMap((g): StoreWrite[] => {
      const hid = this.nextId();
      return [
        { table: 'configGray', key: grayRowKey(key, g.grayName), value: null, expect: { field: 'md5', equals: g.md5 } },
        { table: 'configHistory', key: hid, value: this.historyRow(hid, key, configId, g, 'D', g.grayName, grayExt(g.rule), who, now), expect: { absent: true } },
      ];
    });
  }

  /** The formal config and every gray variant of the key (docs/config-center.md "Remove"). */
  private fullRemoval(key: ConfigKey, who: Who): StoreWrite[] | null {
    const cur = this.o.state.record(key);
    const grays = this.o.state.grays(key);
    if (!cur && grays.length === 0) return null;
    const now = this.now();
    const batch = this.grayDeletes(key, grays, who, now);
    if (cur) {
      const hid = this.nextId();
      batch.push(
        { table: 'config', key: configRowKey(key), value: null, expect: { field: 'md5', equals: cur.md5 } },
        { table: 'configHistory', key: hid, value: this.historyRow(hid, key, cur.id, cur, 'D', '', formalExt(cur), who, now), expect: { absent: true } },
      );
    }
    return batch;
  }

  private historyRow(
    id: string,
    key: ConfigKey,
    configId: string,
    content: { content: string; md5: string; appName: string; encryptedDataKey: string },
    opType: HistoryEntry['opType'],
    grayName: string,
    extInfo: string,
    who: Who,
    now: number,
  ): HistoryEntry {
    return {
      ...keyOf(key),
      id,
      configId,
      content: content.content,
      md5: content.md5,
      appName: content.appName,
      encryptedDataKey: content.encryptedDataKey,
      opType,
      publishType: grayName === '' ? 'formal' : 'gray',
      grayName,
      extInfo,
      srcUser: who.srcUser,
      srcIp: who.srcIp,
      createTime: now,
      modifyTime: now,
    };
  }
}

const keyOf = (k: ConfigKey): ConfigKey => ({ tenant: k.tenant, group: k.group, dataId: k.dataId });

function formalExt(r: ConfigRecord): string {
  const ext: Record<string, string> = { type: r.type };
  if (r.desc !== '') ext['c_desc'] = r.desc;
  if (r.configTags.length > 0) ext['config_tags'] = r.configTags.join(',');
  return JSON.stringify(ext);
}

function grayExt(rule: GrayRule): string {
  return JSON.stringify({ gray_rule: JSON.stringify(rule) });
}

function parseId(id: string): number | null {
  return /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : null;
}
