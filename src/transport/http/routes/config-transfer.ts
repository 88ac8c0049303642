/**
 * Config export, import and clone over HTTP (docs/config-center.md "HTTP APIs", docs/protocol/config.md §3.9),
 * shared by v1 (`/v1/cs/configs?export=true|exportV2=true|import=true|clone=true`) and v3.
 * Import and clone publish one config after another through the normal publish use case, with
 * Nacos' conflict policies: ABORT stops at the first existing config (earlier ones stay),
 * SKIP leaves existing ones, OVERWRITE updates them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NacosError, badRequest } from '../../../core/errors.js';
import { ArchiveMetaError, META_V1, META_V2, parseV1Meta, parseV2Meta, splitEntryName, typeFromDataId, v1MetaText, v2MetaText, type ArchiveItem } from '../../../config-center/export-format.js';
import { CONFIG_TYPES, type ConfigCenter, type ConfigKey, type ConfigRecord } from '../../../config-center/types.js';
import { clientIpOf, configCenterOf, importTenantOf, srcUserOf, tenantOf, type KeyNames } from '../config-edge.js';
import { authorizeConfig, recordById } from '../config-ops.js';
import type { HttpDeps } from '../kit.js';
import { multipartBoundary, parseMultipart } from '../multipart.js';
import type { Params } from '../params.js';
import { readZip, writeZip, ZipFormatError } from '../zip.js';

/** How one family names things: the namespace parameter of export/import/clone and the answer envelope. */
export interface TransferNames {
  readonly family: 'v1' | 'v3';
  /** The family's key parameter names. */
  readonly names: KeyNames;
}

type Policy = 'ABORT' | 'SKIP' | 'OVERWRITE';

/** Nacos' import/clone result codes (ResultCodeEnum) and messages. */
const FAIL = {
  namespaceMissing: [100001, '目标 namespace 不存在'],
  badMetadata: [100002, '导入的元数据非法'],
  unparsable: [100004, '解析数据失败'],
  empty: [100005, '导入的文件数据为空'],
  noSelection: [100006, '没有选择任何配置'],
} as const;

function sendEnvelope(reply: FastifyReply, names: TransferNames, code: number, message: string, data: unknown): FastifyReply {
  const body = names.family === 'v1' ? { code, message, data } : { code: code === 200 ? 0 : code, message: code === 200 ? 'success' : message, data };
  return reply.code(200).type('application/json;charset=UTF-8').send(JSON.stringify(body));
}

/** The v3 controllers answer the same failures with Nacos 3's `ErrorCode` (English texts; the namespace one is 22001). */
const FAIL_V3: ReadonlyMap<readonly [number, string], readonly [number, string]> = new Map<readonly [number, string], readonly [number, string]>([
  [FAIL.namespaceMissing, [22001, 'namespace not exist']],
  [FAIL.badMetadata, [100002, 'Imported metadata is invalid']],
  [FAIL.unparsable, [100004, 'Failed to parse data']],
  [FAIL.empty, [100005, 'Imported file data is empty']],
  [FAIL.noSelection, [100006, 'No configuration selected']],
]);

function failWith(reply: FastifyReply, names: TransferNames, f: readonly [number, string], data: unknown = { succCount: 0 }): FastifyReply {
  const [code, message] = names.family === 'v3' ? (FAIL_V3.get(f) ?? f) : f;
  return sendEnvelope(reply, names, code, message, data);
}

function policyOf(p: Params): Policy {
  const v = (p.get('policy') ?? 'ABORT').toUpperCase();
  if (v === 'ABORT' || v === 'SKIP' || v === 'OVERWRITE') return v;
  throw badRequest(`invalid policy : ${p.get('policy') ?? ''}`);
}

function glob(pattern: string): (v: string) => boolean {
  if (!pattern.includes('*')) return (v) => v === pattern;
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return (v) => re.test(v);
}

/** The formal configs of a namespace an export selects: `ids`, else `dataId`/group (with `*`) and `appName`. */
function exportSelection(cc: ConfigCenter, p: Params, names: KeyNames): ConfigRecord[] {
  const tenant = tenantOf(p, names);
  const all = cc.list(tenant);
  const ids = p.get('ids');
  if (ids !== undefined) {
    const wanted = new Set(ids.split(',').map((s) => s.trim()));
    return all.filter((r) => wanted.has(r.id));
  }
  const dataId = p.get('dataId');
  const group = p.get(names.group);
  const appName = p.get('appName');
  const d = dataId === undefined ? () => true : glob(dataId);
  const g = group === undefined ? () => true : glob(group);
  return all.filter((r) => d(r.dataId) && g(r.group) && (appName === undefined || r.appName === appName));
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}

/** `export=true` (`.meta.yml` layout) or `exportV2=true` (`.metadata.yml`): a zip download. */
export function exportConfigs(deps: HttpDeps, _req: FastifyRequest, reply: FastifyReply, p: Params, names: TransferNames, v2: boolean): FastifyReply {
  const cc = configCenterOf(deps);
  const records = exportSelection(cc, p, names.names);
  const entries = records.map((r) => ({ name: `${r.group}/${r.dataId}`, data: Buffer.from(r.content, 'utf8') }));
  const meta = v2 ? v2MetaText(records) : v1MetaText(records);
  if (meta !== null) entries.push({ name: v2 ? META_V2 : META_V1, data: Buffer.from(meta, 'utf8') });
  const now = deps.ctx.clock.now();
  const zip = writeZip(entries, now);
  return reply
    .code(200)
    .header('Content-Disposition', `attachment;filename=nacos_config_export_${stamp(now)}.zip`)
    .type('application/zip')
    .send(zip);
}

interface ImportItem extends ArchiveItem {
  readonly type: string;
  readonly appName?: string;
  readonly desc?: string;
  readonly configTags?: string;
}

interface Outcome {
  succCount: number;
  skipCount: number;
  skipData: Array<{ dataId: string; group: string }>;
  failData: Array<{ dataId: string; group: string }>;
}

/** Publishes `items` into `tenant` under `policy`; stops at the first conflict with ABORT. */
async function publishAll(cc: ConfigCenter, items: readonly ImportItem[], tenant: string, policy: Policy, who: { srcUser: string; srcIp: string }): Promise<Outcome> {
  const out: Outcome = { succCount: 0, skipCount: 0, skipData: [], failData: [] };
  let aborted = false;
  for (const it of items) {
    const key: ConfigKey = { tenant, group: it.group, dataId: it.dataId };
    const ref = { dataId: it.dataId, group: it.group };
    if (aborted) {
      out.skipData.push(ref);
      out.skipCount++;
      continue;
    }
    if (cc.record(key) && policy !== 'OVERWRITE') {
      if (policy === 'ABORT') {
        out.failData.push(ref);
        aborted = true;
      } else {
        out.skipData.push(ref);
        out.skipCount++;
      }
      continue;
    }
    try {
      const opt = {
        ...(it.appName === undefined ? {} : { appName: it.appName }),
        ...(it.desc === undefined ? {} : { desc: it.desc }),
        ...(it.configTags === undefined ? {} : { configTags: it.configTags }),
      };
      await cc.publish({ ...key, content: it.content, type: it.type, ...opt, ...who });
      out.succCount++;
    } catch (e) {
      if (!(e instanceof NacosError)) throw e;
      out.failData.push(ref);
      if (policy === 'ABORT') aborted = true;
    }
  }
  return out;
}

function outcomeJson(o: Outcome, unrecognized: Array<{ itemName: string }>): Record<string, unknown> {
  const data: Record<string, unknown> = { succCount: o.succCount, skipCount: o.skipCount };
  if (o.skipData.length > 0) data['skipData'] = o.skipData;
  if (o.failData.length > 0) data['failData'] = o.failData;
  if (unrecognized.length > 0) {
    data['unrecognizedCount'] = unrecognized.length;
    data['unrecognizedData'] = unrecognized;
  }
  return data;
}

/** Reads the uploaded archive into import items; returns a failure code instead when it cannot. */
function archiveItems(zipBytes: Buffer, deps: HttpDeps): { items: ImportItem[]; unrecognized: Array<{ itemName: string }> } | readonly [number, string] {
  let entries;
  try {
    entries = readZip(zipBytes, { maxEntries: deps.ctx.config.int('nomen.config.import.max-entries'), maxTotalBytes: deps.ctx.config.int('nomen.config.import.max-bytes') });
  } catch (e) {
    if (e instanceof ZipFormatError) return FAIL.unparsable;
    throw e;
  }
  const unrecognized: Array<{ itemName: string }> = [];
  const plain: ArchiveItem[] = [];
  let v1Meta: string | undefined;
  let v2Meta: string | undefined;
  for (const e of entries) {
    if (e.name === META_V1) v1Meta = e.data.toString('utf8');
    else if (e.name === META_V2) v2Meta = e.data.toString('utf8');
    else {
      const k = splitEntryName(e.name);
      if (k) plain.push({ ...k, content: e.data.toString('utf8') });
      else unrecognized.push({ itemName: e.name });
    }
  }
  try {
    if (v2Meta !== undefined) {
      const meta = new Map(parseV2Meta(v2Meta).map((m) => [`${m.group}/${m.dataId}`, m]));
      const items: ImportItem[] = [];
      for (const it of plain) {
        const m = meta.get(`${it.group}/${it.dataId}`);
        if (!m) unrecognized.push({ itemName: `${it.group}/${it.dataId}` });
        else items.push({ ...it, type: m.type ?? 'text', ...(m.appName ? { appName: m.appName } : {}), ...(m.desc ? { desc: m.desc } : {}), ...(m.configTags ? { configTags: m.configTags } : {}) });
      }
      return { items, unrecognized };
    }
    const apps = v1Meta === undefined ? new Map<string, string>() : parseV1Meta(v1Meta, plain);
    const items = plain.map((it): ImportItem => {
      const app = apps.get(`${it.group}/${it.dataId}`);
      return { ...it, type: typeFromDataId(it.dataId, CONFIG_TYPES), ...(app === undefined ? {} : { appName: app }) };
    });
    return { items, unrecognized };
  } catch (e) {
    if (e instanceof ArchiveMetaError) return FAIL.badMetadata;
    throw e;
  }
}

/** `import=true`: a multipart upload (field `file`) of a Nacos export archive into `namespace` (v3 `namespaceId`). */
export async function importConfigs(deps: HttpDeps, req: FastifyRequest, reply: FastifyReply, p: Params, names: TransferNames): Promise<FastifyReply> {
  const cc = configCenterOf(deps);
  const policy = policyOf(p);
  const tenant = importTenantOf(p, names.names);
  const boundary = multipartBoundary(req.headers['content-type']);
  const body = req.body;
  // v3 (ConfigControllerV3.importAndPublishConfig) checks for the file first, and answers its absence with an empty map.
  if (names.family === 'v3' && (boundary === null || !Buffer.isBuffer(body))) return failWith(reply, names, FAIL.empty, {});
  if (!deps.namespaces.exists(tenant)) return failWith(reply, names, FAIL.namespaceMissing);
  if (boundary === null || !Buffer.isBuffer(body)) return failWith(reply, names, FAIL.empty);
  const parts = parseMultipart(body, boundary);
  if (parts === null) return failWith(reply, names, FAIL.unparsable);
  const file = parts.find((x) => x.name === 'file');
  if (!file || file.data.length === 0) return failWith(reply, names, FAIL.empty);
  const read = archiveItems(file.data, deps);
  if (!('items' in read)) return failWith(reply, names, read);
  if (read.items.length === 0 && read.unrecognized.length === 0) return failWith(reply, names, FAIL.empty);
  const outcome = await publishAll(cc, read.items, tenant, policy, { srcUser: srcUserOf(req, p), srcIp: clientIpOf(req) });
  return sendEnvelope(reply, names, 200, 'import success', outcomeJson(outcome, read.unrecognized));
}

/** One clone target as the body lists it (v1/console `cfgId,dataId,group`; v3 admin `configId,targetDataId,targetGroupName`). */
interface CloneTarget {
  readonly id: string;
  readonly dataId: string;
  readonly group: string;
}

function cloneTargets(body: unknown): CloneTarget[] | null {
  if (!Buffer.isBuffer(body)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const out: CloneTarget[] = [];
  for (const x of parsed as unknown[]) {
    if (typeof x !== 'object' || x === null) return null;
    const o = x as Record<string, unknown>;
    const id = o['cfgId'] ?? o['configId'];
    const dataId = o['dataId'] ?? o['targetDataId'];
    const group = o['group'] ?? o['targetGroupName'];
    if ((typeof id !== 'number' && typeof id !== 'string') || typeof dataId !== 'string' || typeof group !== 'string') return null;
    out.push({ id: String(id), dataId, group });
  }
  return out;
}

/** `clone=true`: copies configs (by id) into the target namespace under new names, with the import policies. */
export async function cloneConfigs(deps: HttpDeps, req: FastifyRequest, reply: FastifyReply, p: Params, names: TransferNames, targetParams: readonly string[] = names.names.tenant): Promise<FastifyReply> {
  const cc = configCenterOf(deps);
  const policy = policyOf(p);
  const tenant = tenantOf(p, { tenant: targetParams, group: names.names.group });
  // v3 (ConfigControllerV3.cloneConfig) reads the body before it checks the namespace.
  const targets = names.family === 'v3' ? cloneTargets(req.body) : null;
  if (names.family === 'v3' && targets !== null && targets.length === 0) return failWith(reply, names, FAIL.noSelection);
  if (!deps.namespaces.exists(tenant)) return failWith(reply, names, FAIL.namespaceMissing);
  const list = targets ?? cloneTargets(req.body);
  if (list === null) throw badRequest('The body must be a JSON list of {"cfgId","dataId","group"}.');
  if (list.length === 0) return failWith(reply, names, FAIL.noSelection);
  const items: ImportItem[] = [];
  for (const t of list) {
    const src = recordById(deps, cc, t.id);
    if (!src) continue;
    // The sources are named by id only: the caller must be allowed to read each (auth on).
    authorizeConfig(deps, req, 'read', src);
    items.push({ group: t.group, dataId: t.dataId, content: src.content, type: src.type, appName: src.appName, desc: src.desc, configTags: src.configTags.join(',') });
  }
  const outcome = await publishAll(cc, items, tenant, policy, { srcUser: srcUserOf(req, p), srcIp: clientIpOf(req) });
  return sendEnvelope(reply, names, 200, 'Clone Completed Successfully', outcomeJson(outcome, []));
}
