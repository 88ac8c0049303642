/**
 * How the configuration center's rows look in the persistent store (tables `config`, `configGray`,
 * `configHistory`; docs/config-center.md "Storage"), parsed the same way by the write check (before
 * proposing) and by the state (at apply), so what the store accepts every member can apply.
 */
import { z } from 'zod';
import type { StoreWrite } from '../persistence/persistent-store.js';
import { configRowKey, grayRowKey } from './config-keys.js';
import { CONFIG_TYPES, type ConfigRecord, type GrayVariant, type HistoryEntry } from './types.js';

export const CONFIG_TABLES = ['config', 'configGray', 'configHistory'] as const;
export type ConfigTable = (typeof CONFIG_TABLES)[number];

const str = z.string();
const time = z.number().int().nonnegative();
const keyFields = { tenant: str.min(1), group: str.min(1), dataId: str.min(1) };
const idText = str.regex(/^[1-9][0-9]{0,15}$/);

export const ConfigRow = z.object({
  ...keyFields,
  id: idText,
  content: str,
  md5: str,
  type: z.enum(CONFIG_TYPES),
  appName: str,
  desc: str,
  use: str,
  effect: str,
  schema: str,
  configTags: z.array(str),
  encryptedDataKey: str,
  createTime: time,
  modifyTime: time,
  createUser: str,
  createIp: str,
  srcUser: str,
  srcIp: str,
});

export const GrayRow = z.object({
  ...keyFields,
  grayName: str.min(1),
  rule: z.object({ type: z.enum(['beta', 'tag']), version: str, expr: str, priority: z.number().int() }),
  content: str,
  md5: str,
  encryptedDataKey: str,
  appName: str,
  srcUser: str,
  srcIp: str,
  createTime: time,
  modifyTime: time,
});

export const HistoryRow = z.object({
  ...keyFields,
  id: idText,
  configId: str,
  content: str,
  md5: str,
  appName: str,
  encryptedDataKey: str,
  opType: z.enum(['I', 'U', 'D']),
  publishType: z.enum(['formal', 'gray']),
  grayName: str,
  extInfo: str,
  srcUser: str,
  srcIp: str,
  createTime: time,
  modifyTime: time,
});

/**
 * The same shapes as plain field checks (start-up cost, issue 16: a restart with 10,000 configs
 * re-read ~20,000 rows, config and history, through zod twice: the log replay's write check and
 * the state's load). A row that passes its fast check is exactly what the schema accepts (every
 * field present with its type, no other field, so zod would return an equal copy) and is used as
 * it is; anything else goes to the schema, which accepts it (dropping unknown fields) or says why
 * not, as before. test/unit/config-rows-fast.test.ts keeps the two in step.
 */
type FieldCheck = (v: unknown) => boolean;
const isStr: FieldCheck = (v) => typeof v === 'string';
const isKeyPart: FieldCheck = (v) => typeof v === 'string' && v.length > 0;
const isId: FieldCheck = (v) => typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v);
const isTime: FieldCheck = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isIn = (values: readonly string[]): FieldCheck => (v) => typeof v === 'string' && values.includes(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fastCheck(fields: Readonly<Record<string, FieldCheck>>): (v: unknown) => boolean {
  const names = Object.keys(fields);
  return (v) => {
    if (!isObject(v)) return false;
    let n = 0;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      n++;
      const f = fields[k];
      if (!f || !f(v[k])) return false;
    }
    return n === names.length;
  };
}

const fastKeyFields = { tenant: isKeyPart, group: isKeyPart, dataId: isKeyPart };
const isConfigRow = fastCheck({
  ...fastKeyFields,
  ...Object.fromEntries(['content', 'md5', 'appName', 'desc', 'use', 'effect', 'schema', 'encryptedDataKey', 'createUser', 'createIp', 'srcUser', 'srcIp'].map((k) => [k, isStr])),
  id: isId,
  type: isIn(CONFIG_TYPES),
  configTags: (v) => Array.isArray(v) && v.every(isStr),
  createTime: isTime,
  modifyTime: isTime,
});
const isGrayRule = fastCheck({ type: isIn(['beta', 'tag']), version: isStr, expr: isStr, priority: Number.isSafeInteger });
const isGrayRow = fastCheck({
  ...fastKeyFields,
  ...Object.fromEntries(['content', 'md5', 'encryptedDataKey', 'appName', 'srcUser', 'srcIp'].map((k) => [k, isStr])),
  grayName: isKeyPart,
  rule: isGrayRule,
  createTime: isTime,
  modifyTime: isTime,
});
const isHistoryRow = fastCheck({
  ...fastKeyFields,
  ...Object.fromEntries(['configId', 'content', 'md5', 'appName', 'encryptedDataKey', 'grayName', 'extInfo', 'srcUser', 'srcIp'].map((k) => [k, isStr])),
  id: isId,
  opType: isIn(['I', 'U', 'D']),
  publishType: isIn(['formal', 'gray']),
  createTime: isTime,
  modifyTime: isTime,
});

/** `value` as a row of `schema`: itself when `fast` accepts it, else the schema's parse (which may throw). */
function parseRow<T>(value: unknown, fast: (v: unknown) => boolean, schema: { parse(v: unknown): T }): T {
  return fast(value) ? (value as T) : schema.parse(value);
}

export type DecodedConfigWrite =
  | { table: 'config'; key: string; row: ConfigRecord | null }
  | { table: 'configGray'; key: string; row: GrayVariant | null }
  | { table: 'configHistory'; key: string; row: HistoryEntry | null }
  | null;

/** One store write as the config state applies it (null: not a config table). Throws when it cannot be applied. */
export function decodeConfigWrite(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): DecodedConfigWrite {
  switch (w.table) {
    case 'config': {
      const row = w.value === null ? null : parseRow<ConfigRecord>(w.value, isConfigRow, ConfigRow);
      if (row && configRowKey(row) !== w.key) throw new Error('key does not match the row');
      return { table: 'config', key: w.key, row };
    }
    case 'configGray': {
      const row = w.value === null ? null : parseRow<GrayVariant>(w.value, isGrayRow, GrayRow);
      if (row && grayRowKey(row, row.grayName) !== w.key) throw new Error('key does not match the row');
      return { table: 'configGray', key: w.key, row };
    }
    case 'configHistory': {
      const row = w.value === null ? null : parseRow<HistoryEntry>(w.value, isHistoryRow, HistoryRow);
      if (!/^[1-9][0-9]{0,15}$/.test(w.key) || (row && row.id !== w.key)) throw new Error('history key must be the row id');
      return { table: 'configHistory', key: w.key, row };
    }
    default:
      return null;
  }
}

/** Why the config state could not apply `w` (null: it can); a WriteCheck for the persistent store. */
export function checkConfigWrite(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): string | null {
  try {
    decodeConfigWrite(w);
    return null;
  } catch (e) {
    if (e instanceof z.ZodError) {
      const i = e.issues[0];
      return `${i?.path.map(String).join('.') || 'value'}: ${i?.message ?? 'invalid'}`;
    }
    return e instanceof Error ? e.message : String(e);
  }
}
