/**
 * Validation of config requests, in Nacos' two layers and with its exact messages
 * (docs/protocol/config.md §1.4): the parameter checker (`paramCheck`, lengths always, characters
 * when `nacos.core.param.check.enabled`) and the business checks of the use cases (`check*`,
 * throwing NacosError 400 with v2 code 20002).
 */
import { badRequest } from '../core/errors.js';
import { checkGroup, checkNamespaceId } from '../core/names.js';

export const DATA_ID_MAX = 256;
const DATA_ID_RE = /^[a-zA-Z0-9\-_:.]*$/;

/** Business limits (ParamUtils). */
export const CONFIG_LIMITS = {
  tag: 16,
  tenant: 128,
  configTags: 5,
  configTag: 64,
  desc: 128,
  use: 32,
  effect: 32,
  type: 32,
  schema: 32768,
} as const;

/** Nacos' default maxContent: 10 Mi characters (UTF-16 units). */
export const DEFAULT_MAX_CONTENT = 10 * 1024 * 1024;

/** The parameter checker's rule for a dataId: blank passes, then ≤256 chars, then the pattern. */
export function checkDataId(v: string, chars = true): string | null {
  if (v === '') return null;
  if (v.length > DATA_ID_MAX) return `Param 'dataId' is illegal, the param length should not exceed ${DATA_ID_MAX}.`;
  if (chars && !DATA_ID_RE.test(v)) return "Param 'dataId' is illegal, illegal characters should not appear in the param.";
  return null;
}

/** The parameter checker on a request's key fields; the first failing rule's text, or null. */
export function paramCheck(p: { dataId?: string | null; group?: string | null; tenant?: string | null }, chars = true): string | null {
  return checkDataId(p.dataId ?? '', chars) ?? checkGroup(p.group ?? '', chars) ?? checkNamespaceId(p.tenant ?? '', chars);
}

const isBlank = (s: string | null | undefined): boolean => s === null || s === undefined || s.trim() === '';

/** ParamUtils.isValid: every char a letter or digit (any script) or one of `_ - . :`. */
export function isValidName(s: string): boolean {
  return /^[\p{L}\p{Nd}_\-.:]+$/u.test(s);
}

/** dataId and group present and valid (ParamUtils.checkParam(dataId, group, …)). */
export function checkKey(dataId: string | null | undefined, group: string | null | undefined): void {
  if (isBlank(dataId) || !isValidName(dataId!.trim())) throw badRequest(`invalid dataId : ${dataId ?? 'null'}`);
  if (isBlank(group) || !isValidName(group!)) throw badRequest(`invalid group : ${group ?? 'null'}`);
}

/** Key plus content: not blank, at most `maxContent` UTF-16 units. */
export function checkKeyAndContent(dataId: string | null | undefined, group: string | null | undefined, content: string | null | undefined, maxContent: number): void {
  checkKey(dataId, group);
  if (isBlank(content)) throw badRequest(`content is blank : ${content ?? 'null'}`);
  if (content!.length > maxContent) throw badRequest(`invalid content, over ${maxContent}`);
}

/** The gray tag: valid chars, ≤16. Blank passes (no tag). */
export function checkTag(tag: string | null | undefined): void {
  if (isBlank(tag)) return;
  if (!isValidName(tag!.trim())) throw badRequest(`invalid tag : ${tag}`);
  if (tag!.length > CONFIG_LIMITS.tag) throw badRequest(`too long tag, over ${CONFIG_LIMITS.tag}`);
}

/** The tenant as sent: valid chars, ≤128 (`param` names it in the message: tenant, or namespaceId on v2/v3). */
export function checkTenant(tenant: string | null | undefined, param: 'tenant' | 'namespaceId' = 'tenant'): void {
  if (tenant === null || tenant === undefined || tenant === '') return;
  if (!isValidName(tenant.trim())) throw badRequest(`invalid ${param}`);
  if (tenant.length > CONFIG_LIMITS.tenant) throw badRequest(`too long ${param}, over ${CONFIG_LIMITS.tenant}`);
}

export interface AdvanceInfo {
  readonly configTags?: string | undefined;
  readonly desc?: string | undefined;
  readonly use?: string | undefined;
  readonly effect?: string | undefined;
  readonly type?: string | undefined;
  readonly schema?: string | undefined;
}

/** config_tags, desc, use, effect, type, schema lengths (ParamUtils.checkParam(Map)). */
export function checkAdvanceInfo(a: AdvanceInfo): void {
  if (a.configTags !== undefined && a.configTags !== '') {
    const tags = a.configTags.split(',');
    if (tags.length > CONFIG_LIMITS.configTags) throw badRequest(`too much config_tags, over ${CONFIG_LIMITS.configTags}`);
    for (const t of tags) if (t.length > CONFIG_LIMITS.configTag) throw badRequest(`too long tag, over ${CONFIG_LIMITS.configTag}`);
  }
  for (const f of ['desc', 'use', 'effect', 'type', 'schema'] as const) {
    const v = a[f];
    if (v !== undefined && v.length > CONFIG_LIMITS[f]) throw badRequest(`too long ${f}, over ${CONFIG_LIMITS[f]}`);
  }
}

/** The comma list of config tags as stored: trimmed, blanks dropped, duplicates removed. */
export function parseConfigTags(s: string): string[] {
  return [...new Set(s.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
}
