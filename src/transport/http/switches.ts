/**
 * The naming "switch domain" (docs/protocol/http.md §1.11): `GET /v1/ns/operator/switches` renders Nacos'
 * SwitchDomain object from our configuration; `PUT` changes one entry.
 *
 * Kept simple on purpose: only the switches Nomen actually acts on can be changed —
 * `clientBeatInterval` and `lightBeatEnabled` (both read by the beat use case) and
 * `healthCheckEnabled` (server-side checks and heartbeat expiry). A change is written
 * to the persistent store's `switch` table (durable, replicated with the store); every member
 * applies it to its live settings when the store applies the write (`applySwitchWrites`, an apply
 * listener), and `applyStoredSwitches` applies the stored values at start. Every other
 * Nacos switch is reported with its fixed value and answers 400 on PUT, rather than pretending.
 */
import type { AppContext } from '../../app-context.js';
import { badRequest } from '../../core/errors.js';
import type { StoreWrite } from '../../persistence/persistent-store.js';
import { javaBool, javaLong } from './params.js';

/**
 * The switches `PUT` accepts, with their parsers (Nacos `SwitchManager.update`). A Map, not an object
 * literal: an entry named after an `Object.prototype` member (`__proto__`, `constructor`, `toString`)
 * must be an unknown entry, not a lookup that finds the prototype's function.
 */
const WRITABLE: ReadonlyMap<string, (value: string) => number | boolean> = new Map<string, (value: string) => number | boolean>([
  [
    'clientBeatInterval',
    (v) => {
      const n = javaLong(v);
      if (n === null || n <= 0) throw badRequest(`illegal client beat interval: ${v}`);
      return n;
    },
  ],
  ['lightBeatEnabled', (v) => javaBool(v)],
  ['healthCheckEnabled', (v) => javaBool(v)],
]);

/** Nacos switch entries that exist but are fixed in Nomen. */
const READ_ONLY = new Set([
  'distroThreshold', 'distroEnabled', 'enableStandalone', 'checkTimes', 'defaultPushCacheMillis', 'defaultCacheMillis',
  'masters', 'adWeight', 'autoChangeHealthCheckEnabled', 'pushEnabled', 'incrementalList',
  'serverStatusSynchronizationPeriodMillis', 'serviceStatusSynchronizationPeriodMillis', 'disableAddIP', 'sendBeatOnly',
  'limitedUrl', 'distroServerExpiredMillis', 'pushVersion', 'pushCacheMillis', 'pushGoVersion', 'pushJavaVersion',
  'pushPythonVersion', 'pushCVersion', 'pushCSharpVersion', 'enableAuthentication', 'overriddenServerStatus',
  'defaultInstanceEphemeral', 'healthCheckWhiteList', 'httpHealthParams', 'tcpHealthParams', 'mysqlHealthParams',
]);

function applyLive(ctx: AppContext, entry: string, value: number | boolean): void {
  if (entry === 'clientBeatInterval' && typeof value === 'number') ctx.naming.settings.clientBeatInterval = value;
  if (entry === 'lightBeatEnabled' && typeof value === 'boolean') ctx.naming.settings.lightBeatEnabled = value;
  if (entry === 'healthCheckEnabled' && typeof value === 'boolean') ctx.naming.settings.healthCheckEnabled = value;
}

/** Validates, persists and applies one switch change. Nothing is written when validation fails. */
export async function updateSwitch(ctx: AppContext, entry: string, value: string): Promise<void> {
  const parse = WRITABLE.get(entry);
  if (parse === undefined) {
    if (READ_ONLY.has(entry)) throw badRequest(`update entry not supported: ${entry} is fixed in Nomen`);
    throw badRequest(`update entry not found: ${entry}`);
  }
  const v = parse(value);
  // Applied to the live settings by the apply listener (applySwitchWrites) before this resolves.
  await ctx.naming.store.write([{ table: 'switch', key: entry, value: v }]);
}

/**
 * Applies switch writes to this member's live settings. Registered as an apply listener of the
 * persistent store, so a change made through any member reaches every member — also one that is
 * re-applied from the Raft log after a restart (issue 11 defect 6: applying it only on the member
 * that took the PUT lost it everywhere else).
 */
export function applySwitchWrites(ctx: AppContext, batch: Iterable<Pick<StoreWrite, 'table' | 'key' | 'value'>>): void {
  for (const e of batch) {
    if (e.table !== 'switch') continue;
    // Rows of other keys (e.g. junk `constructor` rows written by older versions) are ignored.
    if (WRITABLE.has(e.key) && (typeof e.value === 'number' || typeof e.value === 'boolean')) applyLive(ctx, e.key, e.value);
  }
}

/** Applies switch values stored by earlier `PUT`s to the live settings (call after the store is open). */
export function applyStoredSwitches(ctx: AppContext): void {
  applySwitchWrites(ctx, ctx.naming.store.entries());
}

const healthParams = (max: number, min: number, factor: number) => ({ max, min, factor });

/** Nacos' SwitchDomain JSON, field order as Jackson prints it. */
export function switchDomain(ctx: AppContext): Record<string, unknown> {
  const s = ctx.naming.settings;
  return {
    name: '00-00---000-NACOS_SWITCH_DOMAIN-000---00-00',
    masters: null,
    adWeightMap: {},
    defaultPushCacheMillis: ctx.config.int('nacos.naming.default.push.cache.millis'),
    clientBeatInterval: s.clientBeatInterval,
    defaultCacheMillis: 3000,
    distroThreshold: 0.7,
    healthCheckEnabled: s.healthCheckEnabled !== false,
    autoChangeHealthCheckEnabled: true,
    distroEnabled: true,
    enableStandalone: true,
    pushEnabled: true,
    checkTimes: ctx.config.int('nacos.naming.health.check-times'),
    httpHealthParams: healthParams(5000, 500, 0.85),
    tcpHealthParams: healthParams(5000, 1000, 0.75),
    mysqlHealthParams: healthParams(3000, 2000, 0.65),
    incrementalList: [],
    serverStatusSynchronizationPeriodMillis: 2000,
    serviceStatusSynchronizationPeriodMillis: 5000,
    disableAddIP: false,
    sendBeatOnly: false,
    lightBeatEnabled: s.lightBeatEnabled,
    limitedUrlMap: {},
    distroServerExpiredMillis: 10000,
    pushGoVersion: '0.1.0',
    pushJavaVersion: '0.1.0',
    pushPythonVersion: '0.4.3',
    pushCVersion: '1.0.12',
    pushCSharpVersion: '0.9.0',
    enableAuthentication: false,
    overriddenServerStatus: null,
    defaultInstanceEphemeral: true,
    healthCheckWhiteList: [],
    checksum: null,
  };
}
