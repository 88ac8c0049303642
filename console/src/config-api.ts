/**
 * The console's configuration calls: the v1 config API (`/v1/cs/*`, docs/protocol/config.md §3),
 * the 2.x-style family the rest of the console uses. Answers are checked for the fields the pages
 * read before they are used (a stray answer shows an error instead of a broken page).
 */
import { ApiError, call, request } from './api';

export interface ConfigKey {
  dataId: string;
  group: string;
}

/** A search row (`ConfigInfo`). */
export interface ConfigRow extends ConfigKey {
  id: string;
  tenant: string;
  appName: string;
  type: string;
  md5: string;
}

/** The full record (`show=all`). */
export interface ConfigDetail extends ConfigRow {
  content: string;
  createTime: number;
  modifyTime: number;
  createUser: string | null;
  createIp: string | null;
  desc: string | null;
  configTags: string | null;
}

export interface Page<T> {
  totalCount: number;
  pageNumber: number;
  pagesAvailable: number;
  pageItems: T[];
}

export interface BetaInfo {
  content: string;
  md5: string;
  betaIps: string;
}

export interface HistoryRow extends ConfigKey {
  id: string;
  tenant: string;
  appName: string;
  srcIp: string;
  srcUser: string;
  opType: string;
  publishType: string;
  grayName: string;
  createdTime: string;
  lastModifiedTime: string;
  content: string | null;
  md5: string | null;
}

export interface TransferOutcome {
  succCount: number;
  skipCount: number;
  skipData?: ConfigKey[];
  failData?: ConfigKey[];
  unrecognizedCount?: number;
  unrecognizedData?: { itemName: string }[];
}

export type Policy = 'ABORT' | 'SKIP' | 'OVERWRITE';
export const POLICIES: readonly Policy[] = ['ABORT', 'SKIP', 'OVERWRITE'];

const CONFIGS = '/v1/cs/configs';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectPage<T>(v: unknown): Page<T> {
  if (!isObject(v) || !Array.isArray(v['pageItems']) || typeof v['totalCount'] !== 'number') throw new ApiError(500, 'unexpected search answer');
  return v as unknown as Page<T>;
}

/** A `{code, message, data}` RestResult: code 200 → data, otherwise its message as an error. */
function restData<T>(v: unknown): T {
  if (!isObject(v) || typeof v['code'] !== 'number') throw new ApiError(500, 'unexpected answer');
  if (v['code'] !== 200) throw new ApiError(500, typeof v['message'] === 'string' ? v['message'] : `code ${String(v['code'])}`);
  return v['data'] as T;
}

export interface SearchQuery {
  mode: 'blur' | 'accurate';
  dataId: string;
  group: string;
  appName: string;
  tags: string;
}

/**
 * Blur search matches `*` as a wildcard and everything else literally (§3.6); the console's blur
 * mode means "contains", so a term without a `*` is wrapped in them (docs/console.md).
 */
export function blurTerm(s: string): string {
  const t = s.trim();
  return t === '' || t.includes('*') ? t : `*${t}*`;
}

export async function searchConfigs(tenant: string, q: SearchQuery, pageNo: number, pageSize: number): Promise<Page<ConfigRow>> {
  const term = q.mode === 'blur' ? blurTerm : (s: string) => s.trim();
  const r = await call('GET', CONFIGS, { search: q.mode, tenant, dataId: term(q.dataId), group: term(q.group), appName: q.appName.trim(), config_tags: q.tags.trim(), pageNo, pageSize });
  return expectPage<ConfigRow>(r);
}

/** The full record, or null when the config does not exist (an empty answer). */
export async function getConfig(tenant: string, key: ConfigKey): Promise<ConfigDetail | null> {
  const r = await call('GET', CONFIGS, { show: 'all', tenant, ...key });
  if (r === '' || r === null) return null;
  if (!isObject(r) || typeof r['content'] !== 'string') throw new ApiError(500, 'unexpected config answer');
  return r as unknown as ConfigDetail;
}

export interface PublishInput extends ConfigKey {
  content: string;
  type: string;
  appName: string;
  desc: string;
  configTags: string;
  /** A comma list of client IPs: a beta (gray) publish to those clients only. */
  betaIps?: string;
}

export async function publishConfig(tenant: string, c: PublishInput): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (c.betaIps !== undefined) headers['betaIps'] = c.betaIps;
  const form = new URLSearchParams({ tenant, dataId: c.dataId, group: c.group, content: c.content, type: c.type, appName: c.appName, desc: c.desc, config_tags: c.configTags });
  const r = await call('POST', CONFIGS, {}, { body: form.toString(), headers });
  if (r !== true) throw new ApiError(500, 'the server did not publish the config');
}

export async function deleteConfig(tenant: string, key: ConfigKey): Promise<void> {
  await call('DELETE', CONFIGS, { tenant, ...key });
}

export async function getBeta(tenant: string, key: ConfigKey): Promise<BetaInfo | null> {
  return restData<BetaInfo | null>(await call('GET', CONFIGS, { beta: true, tenant, ...key }));
}

export async function stopBeta(tenant: string, key: ConfigKey): Promise<void> {
  restData(await call('DELETE', CONFIGS, { beta: true, tenant, ...key }));
}

/** Who listens to the config on the member asked: client IP → the md5 it holds. */
export async function listeners(tenant: string, key: ConfigKey): Promise<Record<string, string>> {
  const r = await call('GET', `${CONFIGS}/listener`, { tenant, ...key });
  if (!isObject(r) || !isObject(r['lisentersGroupkeyStatus'])) throw new ApiError(500, 'unexpected listener answer');
  return r['lisentersGroupkeyStatus'] as Record<string, string>;
}

export async function historyPage(tenant: string, key: ConfigKey, pageNo: number, pageSize: number): Promise<Page<HistoryRow>> {
  return expectPage<HistoryRow>(await call('GET', '/v1/cs/history', { search: 'accurate', tenant, ...key, pageNo, pageSize }));
}

/** One history row with its content. */
export async function historyEntry(tenant: string, key: ConfigKey, nid: string): Promise<HistoryRow> {
  const r = await call('GET', '/v1/cs/history', { nid, tenant, ...key });
  if (!isObject(r) || typeof r['id'] !== 'string') throw new ApiError(404, `history entry ${nid} not found`);
  return r as unknown as HistoryRow;
}

export interface ExportFilter {
  ids?: string[];
  dataId?: string;
  group?: string;
  appName?: string;
}

/** The export zip (`.metadata.yml` layout, which keeps each type) and the name the server gave it. */
export async function exportConfigs(tenant: string, f: ExportFilter): Promise<{ blob: Blob; fileName: string }> {
  const res = await request('GET', CONFIGS, { exportV2: true, tenant, ids: f.ids?.join(','), dataId: f.dataId, group: f.group, appName: f.appName });
  const fileName = /filename=([^;]+)/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'nacos_config_export.zip';
  return { blob: await res.blob(), fileName };
}

/** Import/clone answers keep HTTP 200 and say their refusal in `code`. */
function transferData(v: unknown): TransferOutcome {
  const d = restData<unknown>(v);
  if (!isObject(d) || typeof d['succCount'] !== 'number') throw new ApiError(500, 'unexpected import answer');
  return { skipCount: 0, ...d } as TransferOutcome;
}

export async function importConfigs(tenant: string, file: File, policy: Policy): Promise<TransferOutcome> {
  const form = new FormData();
  form.append('file', file, file.name);
  return transferData(await call('POST', CONFIGS, { import: true, namespace: tenant, policy }, { body: form }));
}

export interface CloneItem extends ConfigKey {
  cfgId: string;
}

export async function cloneConfigs(targetTenant: string, items: CloneItem[], policy: Policy): Promise<TransferOutcome> {
  const body = JSON.stringify(items);
  return transferData(await call('POST', CONFIGS, { clone: true, tenant: targetTenant, policy }, { body, headers: { 'content-type': 'application/json' } }));
}
