/**
 * Custom namespaces (docs/protocol/http.md §0.5 "Namespace", §3.5), stored in the persistent store's
 * `namespace` table (key = namespace id). `public` is built in: always listed first, never stored,
 * never deleted. Naming does not require a namespace to exist (namespaces also appear implicitly
 * as services are registered, `nacos.core.namespace.validation.enabled=false` in Nacos); this
 * catalog only serves the console APIs.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_NAMESPACE, LIMITS } from '../core/names.js';
import type { PersistentStore, StoreWrite } from '../persistence/persistent-store.js';

export interface NamespaceInfo {
  namespace: string;
  namespaceShowName: string;
  namespaceDesc: string;
  quota: number;
  configCount: number;
  /** 0 = the built-in global namespace, 2 = custom (Nacos `NamespaceTypeEnum.CUSTOM`). */
  type: number;
}

const StoredNamespace = z.object({ showName: z.string(), desc: z.string() });

/** Why a `namespace` table write could not be listed (null: it can, or another table). */
export function checkNamespaceWrite(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): string | null {
  if (w.table !== 'namespace' || w.value === null) return null;
  const r = StoredNamespace.safeParse(w.value);
  return r.success ? null : `namespace ${w.key}: ${r.error.issues[0]?.message ?? 'invalid'}`;
}

/**
 * Nacos' rules: id `^[\w-]+$`, show name without `@#$%^&*`. The lengths are the ones every naming
 * API takes (`LIMITS` in core/names.ts: id 64, name 256, description 256), so a namespace that can
 * be created can also be used; the HTTP edge refuses longer values with Nacos' checker message first.
 */
const ID_RE = /^[\w-]+$/;
const NAME_RE = /^[^@#$%^&*]+$/;

const PUBLIC: NamespaceInfo = {
  namespace: DEFAULT_NAMESPACE,
  namespaceShowName: DEFAULT_NAMESPACE,
  namespaceDesc: 'Default Namespace',
  quota: 200,
  configCount: 0,
  type: 0,
};

export class NamespaceCatalog {
  /** @param checkNew throws when one more namespace would exceed the namespace cap (NamingLimits). */
  constructor(
    private readonly store: PersistentStore,
    private readonly checkNew: (id: string) => void = () => undefined,
  ) {}

  /** `public` first, then custom namespaces by id. */
  list(): NamespaceInfo[] {
    const custom: NamespaceInfo[] = [];
    for (const e of this.store.entries()) {
      if (e.table !== 'namespace') continue;
      const v = StoredNamespace.safeParse(e.value);
      if (!v.success) continue;
      custom.push({ namespace: e.key, namespaceShowName: v.data.showName, namespaceDesc: v.data.desc, quota: 200, configCount: 0, type: 2 });
    }
    custom.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
    return [{ ...PUBLIC }, ...custom];
  }

  get(id: string): NamespaceInfo | undefined {
    return this.list().find((n) => n.namespace === id);
  }

  exists(id: string): boolean {
    return this.get(id) !== undefined;
  }

  static validId(id: string): boolean {
    return ID_RE.test(id) && id.length <= LIMITS.namespace;
  }

  static validName(name: string, desc: string): boolean {
    return NAME_RE.test(name) && name.length <= LIMITS.namespaceShowName && desc.length <= LIMITS.namespaceDesc;
  }

  /**
   * Creates a namespace; a blank id gets a UUID. False (nothing written) on a bad or taken id or a
   * bad name; throws (nothing written) when the namespace cap is reached.
   */
  async create(id: string | undefined, showName: string, desc: string): Promise<boolean> {
    const nsId = id === undefined || id.trim() === '' ? randomUUID() : id.trim();
    if (!NamespaceCatalog.validId(nsId) || !NamespaceCatalog.validName(showName, desc) || this.exists(nsId)) return false;
    this.checkNew(nsId);
    await this.store.write([{ table: 'namespace', key: nsId, value: { showName, desc } }]);
    return true;
  }

  /** Renames / re-describes a custom namespace. False for `public`, an unknown id or a bad name. */
  async update(id: string, showName: string, desc: string): Promise<boolean> {
    if (id === DEFAULT_NAMESPACE || !NamespaceCatalog.validName(showName, desc) || !this.exists(id)) return false;
    await this.store.write([{ table: 'namespace', key: id, value: { showName, desc } }]);
    return true;
  }

  /** Deletes a custom namespace (its services are not touched). False for `public` or an unknown id. */
  async delete(id: string): Promise<boolean> {
    if (id === DEFAULT_NAMESPACE || !this.exists(id)) return false;
    await this.store.write([{ table: 'namespace', key: id, value: null }]);
    return true;
  }
}
