/**
 * Pure helpers on config keys and values (docs/protocol/config.md §1): namespace normalization,
 * the store's row keys, Nacos' groupKey string, the md5 of a content and the type normalization.
 */
import { createHash } from 'node:crypto';
import { CONFIG_TYPES, type ConfigKey, type ConfigType } from './types.js';

/** The default namespace as stored (Nacos 3.x; 2.x stored ''): docs/config-center.md "Namespaces". */
export const PUBLIC_TENANT = 'public';

/** A blank tenant (null, '', whitespace) is the default namespace `public`; anything else is kept as sent. */
export function normalizeTenant(tenant: string | null | undefined): string {
  const t = tenant ?? '';
  return t.trim() === '' ? PUBLIC_TENANT : t;
}

/** The key with its tenant normalized. */
export function normalizeKey(k: ConfigKey): ConfigKey {
  return { tenant: normalizeTenant(k.tenant), group: k.group, dataId: k.dataId };
}

/** Row key of a formal config in the store (and of the in-memory index). */
export function configRowKey(k: ConfigKey): string {
  return JSON.stringify([k.tenant, k.group, k.dataId]);
}

/** Row key of a gray variant. */
export function grayRowKey(k: ConfigKey, grayName: string): string {
  return JSON.stringify([k.tenant, k.group, k.dataId, grayName]);
}

const escapePart = (s: string): string => s.replace(/%/g, '%25').replace(/\+/g, '%2B');

/**
 * Nacos' groupKey `dataId+group[+tenant]`, each part with `%` → `%25` and `+` → `%2B`; the tenant
 * only when non-empty (docs/protocol/config.md §1.6).
 */
export function groupKey(dataId: string, group: string, tenant?: string | null): string {
  const base = `${escapePart(dataId)}+${escapePart(group)}`;
  return tenant ? `${base}+${escapePart(tenant)}` : base;
}

/** Lowercase hex MD5 of the content's UTF-8 bytes; '' for a missing config (docs/protocol/config.md §1.3). */
export function contentMd5(content: string | null | undefined): string {
  if (content === null || content === undefined) return '';
  return createHash('md5').update(content, 'utf8').digest('hex');
}

const TYPES: ReadonlySet<string> = new Set(CONFIG_TYPES);

/** A known type as sent; blank or unknown → `text` (docs/protocol/config.md §1.5). */
export function normalizeType(type: string | null | undefined): ConfigType {
  const t = (type ?? '').trim();
  return TYPES.has(t) ? (t as ConfigType) : 'text';
}
