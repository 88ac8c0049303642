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

export type DecodedConfigWrite =
  | { table: 'config'; key: string; row: ConfigRecord | null }
  | { table: 'configGray'; key: string; row: GrayVariant | null }
  | { table: 'configHistory'; key: string; row: HistoryEntry | null }
  | null;

/** One store write as the config state applies it (null: not a config table). Throws when it cannot be applied. */
export function decodeConfigWrite(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): DecodedConfigWrite {
  switch (w.table) {
    case 'config': {
      const row = w.value === null ? null : ConfigRow.parse(w.value);
      if (row && configRowKey(row) !== w.key) throw new Error('key does not match the row');
      return { table: 'config', key: w.key, row };
    }
    case 'configGray': {
      const row = w.value === null ? null : GrayRow.parse(w.value);
      if (row && grayRowKey(row, row.grayName) !== w.key) throw new Error('key does not match the row');
      return { table: 'configGray', key: w.key, row };
    }
    case 'configHistory': {
      const row = w.value === null ? null : HistoryRow.parse(w.value);
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
