/**
 * The configuration center's contract (docs/config-center.md): the value types every edge (gRPC,
 * HTTP v1/v2/v3, console, CLI) uses, and the `ConfigCenter` use-case interface they call. The
 * implementation (`config-service.ts`) keeps configs, gray variants and history in the Raft store,
 * so every member applies every change and serves reads from memory.
 *
 * Keys: a config is (tenant, group, dataId). `tenant` here is always the normalized namespace id
 * (`public` for the default namespace); edges normalize what clients send and remember what they
 * sent when an answer must echo it.
 */

export interface ConfigKey {
  readonly tenant: string;
  readonly group: string;
  readonly dataId: string;
}

/** Valid config types; blank or unknown input is stored as `text`. */
export const CONFIG_TYPES = ['properties', 'xml', 'json', 'text', 'html', 'yaml', 'toml', 'unset'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** The formal (non-gray) config as stored. Times are epoch ms. */
export interface ConfigRecord extends ConfigKey {
  /** Stable numeric id, as a string (Nacos emits ids as strings). */
  readonly id: string;
  readonly content: string;
  /** Lowercase hex MD5 of the content's UTF-8 bytes. */
  readonly md5: string;
  readonly type: ConfigType;
  readonly appName: string;
  readonly desc: string;
  readonly use: string;
  readonly effect: string;
  readonly schema: string;
  readonly configTags: readonly string[];
  readonly encryptedDataKey: string;
  readonly createTime: number;
  readonly modifyTime: number;
  readonly createUser: string;
  readonly createIp: string;
  readonly srcUser: string;
  readonly srcIp: string;
}

/** A gray variant: `beta` (rule: client IP in a comma list) or `tag_<tag>` (rule: Vipserver-Tag equals). */
export interface GrayRule {
  readonly type: 'beta' | 'tag';
  readonly version: string;
  readonly expr: string;
  readonly priority: number;
}

export interface GrayVariant extends ConfigKey {
  readonly grayName: string;
  readonly rule: GrayRule;
  readonly content: string;
  readonly md5: string;
  readonly encryptedDataKey: string;
  readonly appName: string;
  readonly srcUser: string;
  readonly srcIp: string;
  readonly createTime: number;
  readonly modifyTime: number;
}

/** Who is asking, for gray matching: the client IP and the optional `Vipserver-Tag` label. */
export interface ClientLabels {
  readonly clientIp: string;
  readonly tag?: string;
  /**
   * The tag was asked for explicitly (the request's `tag` field or param, not a connection label
   * or header): `get` then answers null rather than the formal config when no variant matches.
   */
  readonly tagRequested?: boolean;
}

/** What a read serves: the formal config or the first matching gray variant. */
export interface ConfigView extends ConfigKey {
  readonly content: string;
  readonly md5: string;
  readonly type: ConfigType;
  readonly encryptedDataKey: string;
  readonly lastModified: number;
  /** Set when a beta variant was served. */
  readonly beta: boolean;
  /** The tag when a tag variant was served. */
  readonly tag?: string;
  /** The formal record (null when only a gray variant exists). */
  readonly record: ConfigRecord | null;
}

export type HistoryOp = 'I' | 'U' | 'D';

export interface HistoryEntry extends ConfigKey {
  /** Monotonic id (`nid`), as a string. */
  readonly id: string;
  /** The config's own id at the time. */
  readonly configId: string;
  readonly content: string;
  readonly md5: string;
  readonly appName: string;
  readonly encryptedDataKey: string;
  readonly opType: HistoryOp;
  /** `formal` or `gray`. */
  readonly publishType: 'formal' | 'gray';
  readonly grayName: string;
  readonly extInfo: string;
  readonly srcUser: string;
  readonly srcIp: string;
  readonly createTime: number;
  readonly modifyTime: number;
}

export interface PublishInput extends ConfigKey {
  readonly content: string;
  /** Blank/unknown → `text`. */
  readonly type?: string;
  /** Undefined keeps the stored value; '' clears it. */
  readonly appName?: string;
  readonly desc?: string;
  readonly use?: string;
  readonly effect?: string;
  readonly schema?: string;
  /** Comma list; undefined keeps the stored tags. */
  readonly configTags?: string;
  readonly encryptedDataKey?: string;
  /** Non-blank: compare-and-set against the stored md5 (ignored when the config does not exist). */
  readonly casMd5?: string;
  /** Non-blank: beta publish to these comma-separated client IPs (formal config untouched). */
  readonly betaIps?: string;
  /** Non-blank: tag gray publish. */
  readonly tag?: string;
  readonly srcUser: string;
  readonly srcIp: string;
}

export interface RemoveInput extends ConfigKey {
  /** Non-blank: remove the tag gray variant only. */
  readonly tag?: string;
  readonly srcUser: string;
  readonly srcIp: string;
}

export interface SearchQuery {
  readonly tenant: string;
  /** `accurate`: exact match on the non-blank fields; `blur`: `*` wildcards (Nacos' like-search). */
  readonly mode: 'accurate' | 'blur';
  readonly dataId?: string;
  readonly group?: string;
  readonly appName?: string;
  readonly configTags?: readonly string[];
  readonly type?: readonly string[];
  readonly content?: string;
  readonly pageNo: number;
  readonly pageSize: number;
}

export interface Page<T> {
  readonly totalCount: number;
  readonly pageNumber: number;
  readonly pagesAvailable: number;
  readonly pageItems: readonly T[];
}

/** A change of one key on this member (formal or gray), after it was applied here. */
export interface ConfigChange extends ConfigKey {
  /** Set when a gray variant changed. */
  readonly grayName?: string;
  /** The formal md5 after the change ('' when the config is gone). */
  readonly md5: string;
}

export type ConfigChangeListener = (change: ConfigChange) => void;

/**
 * The configuration center's use cases. Writes resolve once the change is durable and applied on
 * this member (so a read on this member right after sees it) and reject with a `NacosError`
 * carrying Nacos' status/code/message (validation 400, CAS conflict 500 + code 20005, gray count
 * 400 + code 20010, …). Reads are local and synchronous.
 */
export interface ConfigCenter {
  /** Gray-aware read (first matching variant, else formal); null when nothing is served. */
  get(key: ConfigKey, labels?: ClientLabels): ConfigView | null;
  /** The formal record, ignoring gray variants. */
  record(key: ConfigKey): ConfigRecord | null;
  /** The md5 a client with these labels should hold ('' when missing). */
  md5(key: ConfigKey, labels?: ClientLabels): string;
  publish(input: PublishInput): Promise<void>;
  /** Removes the formal config (and its gray variants) or, with `tag`, one tag variant. A missing config is fine. */
  remove(input: RemoveInput): Promise<void>;
  /** The beta variant, if any. */
  beta(key: ConfigKey): GrayVariant | null;
  grays(key: ConfigKey): readonly GrayVariant[];
  stopBeta(key: ConfigKey, who: { srcUser: string; srcIp: string }): Promise<void>;
  search(q: SearchQuery): Page<ConfigRecord>;
  /** Every formal record of a namespace (export, clone, catalog). */
  list(tenant: string): readonly ConfigRecord[];
  historyPage(key: ConfigKey, pageNo: number, pageSize: number): Page<HistoryEntry>;
  historyEntry(id: string): HistoryEntry | null;
  /** The entry before `id` for the same key. */
  historyPrevious(id: string): HistoryEntry | null;
  /** Count of formal configs (metrics). */
  size(): number;
  /**
   * Fires on every member for every applied change (formal or gray) that changes what a client is
   * served: a new formal md5 or a removal, a gray variant added, removed or with a new md5 or rule.
   * A re-publish of identical content fires nothing (docs/protocol/config.md §7). Returns an unsubscribe.
   */
  onChange(listener: ConfigChangeListener): () => void;
}
