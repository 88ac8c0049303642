/**
 * The naming "switch domain" (docs/protocol/http.md §1.11, docs/protocol/nacos3.md §1.5):
 * `GET …/switches` renders Nacos' SwitchDomain object; `PUT` changes one entry, with Nacos'
 * parsing, validation and messages for every entry Nacos lets operators write.
 *
 * A change is written to the persistent store's `switch` table (durable, replicated with the
 * store) under the SwitchDomain JSON key it changes (`check` → `healthCheckEnabled`,
 * `pushVersion` → `pushJavaVersion`, …); every member applies it when the store applies the write
 * (`applySwitchWrites`, an apply listener), and `applyStoredSwitches` applies the stored values at
 * start. Three switches drive Nomen's behaviour: `clientBeatInterval` and `lightBeatEnabled` (read
 * by the beat use case) and `healthCheckEnabled` (server-side checks and heartbeat expiry). The
 * others are recorded and reported, like the many SwitchDomain entries Nacos 2/3 itself no longer
 * reads (docs/compatibility.md, "Differences" D1). Unknown entries are refused (Nacos
 * accepts and ignores them), so an operator's typo does not look applied.
 */
import type { AppContext } from '../../app-context.js';
import { badRequest } from '../../core/errors.js';
import { javaSplit } from '../../core/service-key.js';
import type { NamingService } from '../../naming/naming-service.js';
import type { StoreWrite } from '../../persistence/persistent-store.js';
import { javaBool, javaDouble, javaInt, javaLong, lenientBool, numberFormatMessage } from './params.js';

/** What a stored switch holds: numbers and booleans as such; lists and maps as JSON text. */
type SwitchValue = number | boolean | string;

/** An entry's parser: the SwitchDomain keys it sets. Throws a 400 NacosError with Nacos' message. */
type EntryParser = (value: string) => [key: string, value: SwitchValue][];

const invalid = (message: string) => badRequest(message);

function parsed<T>(v: string, parse: (s: string) => T | null): T {
  const n = parse(v);
  if (n === null) throw invalid(numberFormatMessage(v));
  return n;
}

const long = (v: string) => parsed(v, javaLong);
const int = (v: string) => parsed(v, javaInt);

function atLeast(key: string, min: number, message: string): EntryParser {
  return (v) => {
    const n = long(v);
    if (n < min) throw invalid(message);
    return [[key, n]];
  };
}

const VERSION_SYNTAX = '[0-9]+\\.[0-9]+\\.[0-9]+';
const PUSH_VERSION_KEYS: Readonly<Record<string, string>> = {
  java: 'pushVersionOfJava',
  python: 'pushVersionOfPython',
  c: 'pushVersionOfC',
  go: 'pushVersionOfGo',
  csharp: 'pushVersionOfCsharp',
};

interface HealthParams {
  max: number;
  min: number;
  factor: number;
}

const HEALTH_DEFAULTS: Readonly<Record<string, HealthParams>> = {
  httpHealthParams: { max: 5000, min: 500, factor: 0.85 },
  tcpHealthParams: { max: 5000, min: 1000, factor: 0.75 },
  mysqlHealthParams: { max: 3000, min: 2000, factor: 0.65 },
};

/** `{"max","min","factor"}` JSON (missing fields keep the defaults); http and tcp are range-checked. */
function healthParams(key: string, validate: boolean): EntryParser {
  return (v) => {
    let json: unknown;
    try {
      json = JSON.parse(v);
    } catch {
      throw invalid('json param invalid.');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('json param invalid.');
    const o = json as Record<string, unknown>;
    const out: HealthParams = { ...HEALTH_DEFAULTS[key]! };
    for (const f of ['max', 'min', 'factor'] as const) {
      const x = o[f];
      if (x === undefined || x === null) continue;
      if (typeof x !== 'number' || !Number.isFinite(x) || (f !== 'factor' && !Number.isInteger(x))) throw invalid('json param invalid.');
      out[f] = x;
    }
    if (validate) {
      if (out.min < 500) throw invalid('min check time for http or tcp is too small(<500)');
      if (out.max < 3000) throw invalid('max check time for http or tcp is too small(<3000)');
      if (out.factor < 0 || out.factor > 1) throw invalid('malformed factor');
    }
    return [[key, JSON.stringify(out)]];
  };
}

function limitedUrlMap(v: string): [string, SwitchValue][] {
  const map: Record<string, number> = {};
  for (const each of javaSplit(v, ',')) {
    const parts = javaSplit(each, ':');
    if (parts.length < 2) throw invalid('invalid input for limited urls');
    const url = parts[0]!;
    if (url === '') throw invalid(`url can not be empty, url: ${url}`);
    const code = int(parts[1]!);
    if (code <= 0) throw invalid(`illegal normal status code: ${code}`);
    map[url] = code;
  }
  return [['limitedUrlMap', JSON.stringify(map)]];
}

function pushVersion(v: string): [string, SwitchValue][] {
  const parts = javaSplit(v, ':');
  if (parts.length < 2) throw invalid(`illegal format, must be 'type:version', but got: ${v}`);
  const [type, version] = [parts[0]!, parts[1]!];
  if (!new RegExp(`^(?:${VERSION_SYNTAX})$`).test(version)) throw invalid(`illegal version, must match: ${VERSION_SYNTAX}`);
  const key = PUSH_VERSION_KEYS[type];
  if (key === undefined || !Object.hasOwn(PUSH_VERSION_KEYS, type)) throw invalid(`unsupported client type: ${type}`);
  return [[key, version]];
}

const bool = (key: string): EntryParser => (v) => [[key, javaBool(v)]];
const lenient = (key: string): EntryParser => (v) => [[key, lenientBool(v)]];

/**
 * Every entry `PUT` accepts (Nacos `SwitchManager.update`), by entry name. A Map, not an object
 * literal: an entry named after an `Object.prototype` member (`__proto__`, `constructor`) must be
 * an unknown entry, not a lookup that finds the prototype's function.
 */
const ENTRIES: ReadonlyMap<string, EntryParser> = new Map<string, EntryParser>([
  [
    'distroThreshold',
    (v) => {
      const f = parsed(v, javaDouble);
      // Java prints the float: -1 → `-1.0`.
      if (!Number.isFinite(f) || f <= 0) throw invalid(`distroThreshold can not be zero or negative: ${Number.isInteger(f) ? f.toFixed(1) : f}`);
      return [['distroThreshold', f]];
    },
  ],
  [
    // Nacos takes any long; Nomen's beat use case needs a positive interval.
    'clientBeatInterval',
    (v) => {
      const n = long(v);
      if (n <= 0) throw invalid(`illegal client beat interval: ${v}`);
      return [['clientBeatInterval', n]];
    },
  ],
  ['pushVersion', pushVersion],
  ['pushCacheMillis', atLeast('defaultPushCacheMillis', 10000, 'min cache time for http or tcp is too small(<10000)')],
  ['defaultCacheMillis', atLeast('defaultCacheMillis', 1000, 'min default cache time  is too small(<1000)')],
  ['masters', (v) => [['masters', JSON.stringify(v.split(','))]]],
  ['distro', bool('distroEnabled')],
  ['check', bool('healthCheckEnabled')],
  ['healthCheckEnabled', bool('healthCheckEnabled')],
  ['pushEnabled', bool('pushEnabled')],
  ['serviceStatusSynchronizationPeriodMillis', atLeast('serviceStatusSynchronizationPeriodMillis', 5000, 'serviceStatusSynchronizationPeriodMillis is too small(<5000)')],
  // Nacos checks against 1000 but says 15000.
  ['serverStatusSynchronizationPeriodMillis', atLeast('serverStatusSynchronizationPeriodMillis', 1000, 'serverStatusSynchronizationPeriodMillis is too small(<15000)')],
  ['healthCheckTimes', (v) => [['checkTimes', int(v)]]],
  ['disableAddIP', bool('disableAddIP')],
  ['sendBeatOnly', bool('sendBeatOnly')],
  ['limitedUrlMap', limitedUrlMap],
  ['enableStandalone', bool('enableStandalone')],
  ['overriddenServerStatus', (v) => [['overriddenServerStatus', v === 'null' ? '' : v]]],
  ['defaultInstanceEphemeral', bool('defaultInstanceEphemeral')],
  ['distroServerExpiredMillis', (v) => [['distroServerExpiredMillis', long(v)]]],
  ['lightBeatEnabled', lenient('lightBeatEnabled')],
  ['autoChangeHealthCheckEnabled', lenient('autoChangeHealthCheckEnabled')],
  ['httpHealthParams', healthParams('httpHealthParams', true)],
  ['tcpHealthParams', healthParams('tcpHealthParams', true)],
  ['mysqlHealthParams', healthParams('mysqlHealthParams', false)],
]);

/** SwitchDomain keys a stored row may set, with the JSON type it must have. */
const STORED_TYPES: ReadonlyMap<string, 'number' | 'boolean' | 'string'> = new Map([
  ['distroThreshold', 'number'],
  ['clientBeatInterval', 'number'],
  ['pushVersionOfJava', 'string'],
  ['pushVersionOfPython', 'string'],
  ['pushVersionOfC', 'string'],
  ['pushVersionOfGo', 'string'],
  ['pushVersionOfCsharp', 'string'],
  ['defaultPushCacheMillis', 'number'],
  ['defaultCacheMillis', 'number'],
  ['masters', 'string'],
  ['distroEnabled', 'boolean'],
  ['healthCheckEnabled', 'boolean'],
  ['pushEnabled', 'boolean'],
  ['serviceStatusSynchronizationPeriodMillis', 'number'],
  ['serverStatusSynchronizationPeriodMillis', 'number'],
  ['checkTimes', 'number'],
  ['disableAddIP', 'boolean'],
  ['sendBeatOnly', 'boolean'],
  ['limitedUrlMap', 'string'],
  ['enableStandalone', 'boolean'],
  ['overriddenServerStatus', 'string'],
  ['defaultInstanceEphemeral', 'boolean'],
  ['distroServerExpiredMillis', 'number'],
  ['lightBeatEnabled', 'boolean'],
  ['autoChangeHealthCheckEnabled', 'boolean'],
  ['httpHealthParams', 'string'],
  ['tcpHealthParams', 'string'],
  ['mysqlHealthParams', 'string'],
]);

/** The longest list or map a switch may hold, as JSON text (the store refuses longer rows). */
const MAX_TEXT = 4096;

/** The recorded switch values of each member (keyed by its naming service), as applied from the store. */
const recorded = new WeakMap<NamingService, Map<string, SwitchValue>>();

function recordOf(naming: NamingService): Map<string, SwitchValue> {
  let m = recorded.get(naming);
  if (!m) {
    m = new Map();
    recorded.set(naming, m);
  }
  return m;
}

/** Validates, persists and applies one switch change. Nothing is written when validation fails. */
export async function updateSwitch(ctx: AppContext, entry: string, value: string): Promise<void> {
  const parse = ENTRIES.get(entry);
  if (parse === undefined) throw badRequest(`update entry not found: ${entry}`);
  const sets = parse(value);
  if (sets.some(([, v]) => typeof v === 'string' && v.length > MAX_TEXT)) throw badRequest(`value of ${entry} is too long (at most ${MAX_TEXT} characters)`);
  // Applied to the live settings by the apply listener (applySwitchWrites) before this resolves.
  await ctx.naming.store.write(sets.map(([key, v]) => ({ table: 'switch' as const, key, value: v })));
}

function applyLive(ctx: AppContext, key: string, value: SwitchValue): void {
  if (key === 'clientBeatInterval' && typeof value === 'number') ctx.naming.settings.clientBeatInterval = value;
  if (key === 'lightBeatEnabled' && typeof value === 'boolean') ctx.naming.settings.lightBeatEnabled = value;
  if (key === 'healthCheckEnabled' && typeof value === 'boolean') ctx.naming.settings.healthCheckEnabled = value;
}

/**
 * Applies switch writes to this member's live settings and record. Registered as an apply listener
 * of the persistent store, so a change made through any member reaches every member — also one
 * that is re-applied from the Raft log after a restart (issue 11 defect 6: applying it only on the
 * member that took the PUT lost it everywhere else).
 */
export function applySwitchWrites(ctx: AppContext, batch: Iterable<Pick<StoreWrite, 'table' | 'key' | 'value'>>): void {
  for (const e of batch) {
    if (e.table !== 'switch') continue;
    // Rows of other keys (e.g. junk `constructor` rows written by older versions) are ignored.
    const type = STORED_TYPES.get(e.key);
    if (type === undefined) continue;
    if (e.value === null) {
      recordOf(ctx.naming).delete(e.key);
      continue;
    }
    if (typeof e.value !== type) continue;
    const v = e.value as SwitchValue;
    recordOf(ctx.naming).set(e.key, v);
    applyLive(ctx, e.key, v);
  }
}

/** Applies switch values stored by earlier `PUT`s to the live settings (call after the store is open). */
export function applyStoredSwitches(ctx: AppContext): void {
  applySwitchWrites(ctx, ctx.naming.store.entries());
}

function jsonOr<T>(text: SwitchValue | undefined, dflt: T): T {
  if (typeof text !== 'string') return dflt;
  try {
    return JSON.parse(text) as T;
  } catch {
    return dflt;
  }
}

/** Nacos' SwitchDomain JSON, field order as Jackson prints it. */
export function switchDomain(ctx: AppContext): Record<string, unknown> {
  const s = ctx.naming.settings;
  const r = recordOf(ctx.naming);
  const num = (k: string, d: number) => (typeof r.get(k) === 'number' ? (r.get(k) as number) : d);
  const flag = (k: string, d: boolean) => (typeof r.get(k) === 'boolean' ? (r.get(k) as boolean) : d);
  const str = (k: string, d: string | null) => (typeof r.get(k) === 'string' ? (r.get(k) as string) : d);
  return {
    name: '00-00---000-NACOS_SWITCH_DOMAIN-000---00-00',
    masters: jsonOr<string[] | null>(r.get('masters'), null),
    adWeightMap: {},
    defaultPushCacheMillis: num('defaultPushCacheMillis', ctx.config.int('nacos.naming.default.push.cache.millis')),
    clientBeatInterval: s.clientBeatInterval,
    defaultCacheMillis: num('defaultCacheMillis', 3000),
    distroThreshold: num('distroThreshold', 0.7),
    healthCheckEnabled: s.healthCheckEnabled !== false,
    autoChangeHealthCheckEnabled: flag('autoChangeHealthCheckEnabled', true),
    distroEnabled: flag('distroEnabled', true),
    enableStandalone: flag('enableStandalone', true),
    pushEnabled: flag('pushEnabled', true),
    checkTimes: num('checkTimes', ctx.config.int('nacos.naming.health.check-times')),
    httpHealthParams: jsonOr(r.get('httpHealthParams'), HEALTH_DEFAULTS['httpHealthParams']),
    tcpHealthParams: jsonOr(r.get('tcpHealthParams'), HEALTH_DEFAULTS['tcpHealthParams']),
    mysqlHealthParams: jsonOr(r.get('mysqlHealthParams'), HEALTH_DEFAULTS['mysqlHealthParams']),
    incrementalList: [],
    serverStatusSynchronizationPeriodMillis: num('serverStatusSynchronizationPeriodMillis', 2000),
    serviceStatusSynchronizationPeriodMillis: num('serviceStatusSynchronizationPeriodMillis', 5000),
    disableAddIP: flag('disableAddIP', false),
    sendBeatOnly: flag('sendBeatOnly', false),
    lightBeatEnabled: s.lightBeatEnabled,
    limitedUrlMap: jsonOr<Record<string, number>>(r.get('limitedUrlMap'), {}),
    distroServerExpiredMillis: num('distroServerExpiredMillis', 10000),
    pushVersionOfGo: str('pushVersionOfGo', '0.1.0'),
    pushVersionOfJava: str('pushVersionOfJava', '0.1.0'),
    pushVersionOfPython: str('pushVersionOfPython', '0.4.3'),
    pushVersionOfC: str('pushVersionOfC', '1.0.12'),
    pushVersionOfCsharp: str('pushVersionOfCsharp', '0.9.0'),
    enableAuthentication: false,
    overriddenServerStatus: str('overriddenServerStatus', null),
    defaultInstanceEphemeral: flag('defaultInstanceEphemeral', true),
    healthCheckWhiteList: [],
    checksum: null,
  };
}
