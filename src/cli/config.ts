/**
 * `nomen config get | set | rm | history` (docs/operations.md "CLI"): the configs of a running
 * member through its Nacos 3 admin API (`/nacos/v3/admin/cs/config`, `/history/list`, `/history`),
 * with the same address and auth handling as the other operator commands. Every answer is
 * validated with zod; a refusal is shown with the server's own message.
 *
 * Exit codes: 0 done, 1 failed (unreachable, refused, bad input, auth), 3 the config or history
 * row does not exist, 4 a `--cas-md5` publish lost to another change.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AdminClient, AdminError, AdminHttpError, table, type AdminOptions, type Fetch } from './admin.js';

export const EXIT_NOT_FOUND = 3;
export const EXIT_CAS_MISMATCH = 4;

const CS = '/nacos/v3/admin/cs';
const DEFAULT_GROUP = 'DEFAULT_GROUP';
/** Nacos' CAS failure text (docs/protocol/config.md §5.2). */
const CAS_FAILED = 'Cas publish fail';

/** The config a command names. */
export interface ConfigRef {
  dataId: string;
  /** Default DEFAULT_GROUP. */
  group?: string;
  /** Namespace id; default public. */
  namespace?: string;
}

const optText = z.string().nullable().optional();

const Result = <T extends z.ZodType>(data: T) => z.object({ code: z.number(), message: optText, data });

const ConfigDetailSchema = z.object({
  id: z.string(),
  namespaceId: z.string(),
  groupName: z.string(),
  dataId: z.string(),
  md5: z.string(),
  type: z.string(),
  appName: optText,
  content: z.string(),
  desc: optText,
  configTags: optText,
  createTime: z.number(),
  modifyTime: z.number(),
  createUser: optText,
  createIp: optText,
});
export type ConfigDetail = z.infer<typeof ConfigDetailSchema>;

const HistoryRowSchema = z.object({
  id: z.string(),
  namespaceId: z.string(),
  groupName: z.string(),
  dataId: z.string(),
  md5: optText, // null in list rows: Nacos' history list query does not select it (docs/protocol/config.md)
  appName: optText,
  modifyTime: z.number(),
  srcIp: optText,
  srcUser: optText,
  opType: z.string(),
  publishType: optText,
});
export type HistoryRow = z.infer<typeof HistoryRowSchema>;

const HistoryDetailSchema = HistoryRowSchema.extend({ content: z.string(), grayName: optText, extInfo: optText });
export type HistoryDetail = z.infer<typeof HistoryDetailSchema>;

const HistoryPageSchema = z.object({ totalCount: z.number(), pagesAvailable: z.number(), pageItems: z.array(HistoryRowSchema) });

const ErrorBodySchema = z.object({ code: z.number(), message: optText, data: z.unknown() });

const where = (r: ConfigRef): string => `${r.namespace || 'public'}/${r.group || DEFAULT_GROUP}/${r.dataId}`;

function keyQuery(r: ConfigRef): Record<string, string> {
  const q: Record<string, string> = { dataId: r.dataId, groupName: r.group || DEFAULT_GROUP };
  if (r.namespace) q['namespaceId'] = r.namespace;
  return q;
}

/**
 * The server's refusal in one line: a Result body's `message` (and `data` when it is text), with
 * its code; a 404 is "not found" (exit 3), a CAS failure exit 4. Other errors pass unchanged.
 */
function explained(e: unknown, what: string): unknown {
  if (!(e instanceof AdminHttpError)) return e;
  let body: z.infer<typeof ErrorBodySchema> | null = null;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(e.body));
    if (parsed.success) body = parsed.data;
  } catch {
    // not JSON: the plain message below
  }
  const text = body ? [body.message, typeof body.data === 'string' ? body.data : null].filter((s) => s && s !== 'null').join(': ') : e.body.trim().slice(0, 200);
  if (e.status === 404) return new AdminError(`${what}: not found${text ? ` (${text})` : ''}`, EXIT_NOT_FOUND);
  if (text.includes(CAS_FAILED)) return new AdminError(`${what}: ${text} (the config changed since the md5 given to --cas-md5)`, EXIT_CAS_MISMATCH);
  return new AdminError(`${what}: HTTP ${e.status}${body ? ` code ${body.code}` : ''}: ${text || 'refused'}`);
}

async function client(o: AdminOptions, fetchFn?: Fetch): Promise<AdminClient> {
  const c = new AdminClient(o, fetchFn);
  await c.login();
  return c;
}

/** Runs `work`, explaining a refusal of the request about `what`. */
async function explaining<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw explained(e, what);
  }
}

/** `config get`: the formal config with its fields (gray variants are not shown). */
export async function configGet(o: AdminOptions & ConfigRef, fetchFn?: Fetch): Promise<ConfigDetail> {
  const c = await client(o, fetchFn);
  const r = await explaining(`config ${where(o)}`, () => c.get(`${CS}/config`, keyQuery(o), Result(ConfigDetailSchema)));
  return r.data;
}

/** Text output of `get`: the content exactly as stored (no newline added), for `> file`. */
export const formatConfig = (d: ConfigDetail): string => d.content;

export interface SetOptions extends ConfigRef {
  content: string;
  type?: string;
  desc?: string;
  tags?: string;
  app?: string;
  casMd5?: string;
}

export interface SetResult {
  namespace: string;
  group: string;
  dataId: string;
  md5: string;
}

/** MD5 of a content as Nacos computes it (UTF-8 bytes, lower-case hex). */
export const contentMd5 = (content: string): string => createHash('md5').update(content, 'utf8').digest('hex');

/** `config set`: publishes (creates or replaces); `casMd5` makes it conditional on the current md5. */
export async function configSet(o: AdminOptions & SetOptions, fetchFn?: Fetch): Promise<SetResult> {
  const c = await client(o, fetchFn);
  const form: Record<string, string> = { ...keyQuery(o), content: o.content };
  if (o.type !== undefined) form['type'] = o.type;
  if (o.desc !== undefined) form['desc'] = o.desc;
  if (o.tags !== undefined) form['configTags'] = o.tags;
  if (o.app !== undefined) form['appName'] = o.app;
  const headers: Record<string, string> = o.casMd5 ? { casMd5: o.casMd5 } : {};
  await explaining(`config ${where(o)}`, () => c.call('POST', `${CS}/config`, {}, Result(z.literal(true)), { form, headers }));
  return { namespace: o.namespace || 'public', group: o.group || DEFAULT_GROUP, dataId: o.dataId, md5: contentMd5(o.content) };
}

export const formatSet = (r: SetResult): string => `published ${r.namespace}/${r.group}/${r.dataId} (md5 ${r.md5})\n`;

/** `config rm`: removes the config and its gray variants; a missing config is fine (as in Nacos). */
export async function configRemove(o: AdminOptions & ConfigRef, fetchFn?: Fetch): Promise<{ removed: string }> {
  const c = await client(o, fetchFn);
  await explaining(`config ${where(o)}`, () => c.call('DELETE', `${CS}/config`, keyQuery(o), Result(z.literal(true))));
  return { removed: where(o) };
}

export const formatRemove = (r: { removed: string }): string => `removed ${r.removed}\n`;

/** `config history`: the newest `limit` changes of the config, newest first. */
export async function configHistory(o: AdminOptions & ConfigRef & { limit: number }, fetchFn?: Fetch): Promise<HistoryRow[]> {
  const c = await client(o, fetchFn);
  const out: HistoryRow[] = [];
  const pageSize = Math.min(100, Math.max(1, o.limit));
  for (let pageNo = 1; out.length < o.limit; pageNo++) {
    const q = { ...keyQuery(o), pageNo: String(pageNo), pageSize: String(pageSize) };
    const page = await explaining(`history of ${where(o)}`, () => c.get(`${CS}/history/list`, q, Result(HistoryPageSchema)));
    out.push(...page.data.pageItems);
    if (pageNo >= page.data.pagesAvailable || page.data.pageItems.length === 0) break;
  }
  return out.slice(0, o.limit);
}

const OPS: Record<string, string> = { I: 'insert', U: 'update', D: 'delete' };
const opName = (op: string): string => OPS[op.trim()] ?? op;
const published = (h: HistoryRow): string => h.publishType ?? 'formal';

export function formatHistory(rows: readonly HistoryRow[]): string {
  return table(
    ['ID', 'OP', 'PUBLISH', 'TIME', 'USER', 'IP', 'MD5'],
    rows.map((h) => [h.id, opName(h.opType), published(h), new Date(h.modifyTime).toISOString(), h.srcUser || '-', h.srcIp || '-', h.md5 ?? '-']),
  );
}

/** `config history --id N`: one row with its content. */
export async function configHistoryEntry(o: AdminOptions & ConfigRef & { id: string }, fetchFn?: Fetch): Promise<HistoryDetail> {
  const c = await client(o, fetchFn);
  return historyEntry(c, o);
}

async function historyEntry(c: AdminClient, o: ConfigRef & { id: string }): Promise<HistoryDetail> {
  const r = await explaining(`history row ${o.id} of ${where(o)}`, () => c.get(`${CS}/history`, { ...keyQuery(o), nid: o.id }, Result(HistoryDetailSchema)));
  return r.data;
}

/** Text of one row: its fields, then the content it holds (Nacos keeps the content before an update or delete). */
export function formatHistoryEntry(h: HistoryDetail): string {
  const lines = [
    `id:       ${h.id}`,
    `config:   ${h.namespaceId}/${h.groupName}/${h.dataId}`,
    `op:       ${opName(h.opType)} (${published(h)}${h.grayName ? ` ${h.grayName}` : ''})`,
    `time:     ${new Date(h.modifyTime).toISOString()}`,
    `user:     ${h.srcUser || '-'}`,
    `ip:       ${h.srcIp || '-'}`,
    `md5:      ${h.md5 ?? contentMd5(h.content)}`,
    h.opType.trim() === 'I' ? '--- content published:' : '--- content before this change:',
  ];
  return `${lines.join('\n')}\n${h.content}${h.content.endsWith('\n') ? '' : '\n'}`;
}

export interface RollbackResult {
  id: string;
  config: string;
  /** `publish`: the row's content is the config again; `remove`: the row created the config. */
  action: 'publish' | 'remove';
  md5: string | null;
}

/** The config type a history row recorded (`extInfo.type`), if any. */
function typeOf(h: HistoryDetail): string | undefined {
  try {
    const ext = z.object({ type: z.string().optional() }).safeParse(JSON.parse(h.extInfo ?? '{}'));
    return ext.success ? ext.data.type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `config history --rollback N` as the Nacos console does it (docs/config-center.md "History"):
 * the state before the change the row records comes back — an insert is undone by removing the
 * config, an update or delete by publishing the row's content (with its recorded type). Gray rows
 * are refused: their rule is not part of the row's content.
 */
export async function configRollback(o: AdminOptions & ConfigRef & { id: string }, fetchFn?: Fetch): Promise<RollbackResult> {
  const c = await client(o, fetchFn);
  const h = await historyEntry(c, o);
  const ref = { dataId: h.dataId, group: h.groupName, namespace: h.namespaceId };
  const config = where(ref);
  if (published(h) !== 'formal') throw new AdminError(`history row ${h.id} of ${config} is a gray (${h.grayName || 'beta'}) change: only formal changes can be rolled back`);
  if (h.opType.trim() === 'I') {
    await explaining(`config ${config}`, () => c.call('DELETE', `${CS}/config`, keyQuery(ref), Result(z.literal(true))));
    return { id: h.id, config, action: 'remove', md5: null };
  }
  const form: Record<string, string> = { ...keyQuery(ref), content: h.content };
  const type = typeOf(h);
  if (type) form['type'] = type;
  if (h.appName) form['appName'] = h.appName;
  await explaining(`config ${config}`, () => c.call('POST', `${CS}/config`, {}, Result(z.literal(true)), { form }));
  return { id: h.id, config, action: 'publish', md5: contentMd5(h.content) };
}

export const formatRollback = (r: RollbackResult): string =>
  r.action === 'remove' ? `rolled back ${r.config} to before row ${r.id}: removed (the row created it)\n` : `rolled back ${r.config} to before row ${r.id}: published (md5 ${r.md5})\n`;

/**
 * The content of `set`: `--content`, `--file`, or standard input when it is not a terminal (one
 * source only). `readFile`/`readStdin` are injected for tests.
 */
export async function contentOf(
  f: { content?: string; file?: string },
  io: { stdinIsTty: boolean; readFile(path: string): Promise<string>; readStdin(): Promise<string> },
): Promise<string> {
  if (f.content !== undefined && f.file !== undefined) throw new AdminError('give the content once: --content or --file, not both');
  if (f.content !== undefined) return f.content;
  if (f.file !== undefined) {
    try {
      return await io.readFile(f.file);
    } catch (e) {
      throw new AdminError(`cannot read ${f.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (io.stdinIsTty) throw new AdminError('no content: give --content TEXT, --file PATH, or pipe it on standard input');
  const text = await io.readStdin();
  if (text === '') throw new AdminError('standard input was empty: nothing to publish (give --content or --file)');
  return text;
}
