/**
 * The `instances` parameter of the metadata batch APIs (`PUT|DELETE .../instance/metadata/batch`,
 * v1 and v2): a JSON array of instances, read as leniently as Nacos reads it into its `Instance`
 * class (docs/open-api-fidelity.md, item 1): `port` may be a number or a string holding an integer
 * (the documented example sends `"port":"8080"`), `clusterName` may be missing, null or blank
 * (→ DEFAULT), other fields (`ephemeral`, `weight`, ...) are ignored, and `null` / `[]` / a blank
 * value mean "every instance of the service".
 *
 * What Nacos cannot read it turns into "every instance of the service" (the parse failure is only
 * logged); Nomen refuses such a list with a 400 instead (docs/decisions.md #21), so a typo never
 * silently rewrites the metadata of every instance.
 */
import type { InstanceRef } from '../../naming/operator-ops.js';
import { javaInt } from './params.js';

export type InstanceRefsResult = { ok: true; refs: InstanceRef[] | null } | { ok: false; message: string };

const illegal = (why: string): InstanceRefsResult => ({ ok: false, message: `Param 'instances' is illegal, ${why}` });

/** Jackson turns a JSON scalar into a Java String (`1` → `"1"`); objects and arrays it refuses. */
function scalarText(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** `port` into a Java `int`: an integral number or an integer string; absent or null is 0. */
function portOf(v: unknown): number | null {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2147483647 ? v : null;
  if (typeof v === 'string') return javaInt(v.trim());
  return null;
}

/** Parses the parameter's text; `undefined` (absent or blank) means every instance. */
export function parseInstanceRefs(text: string | undefined): InstanceRefsResult {
  if (text === undefined) return { ok: true, refs: null };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return illegal('it should be a JSON array.');
  }
  if (json === null) return { ok: true, refs: null };
  if (!Array.isArray(json)) return illegal('it should be a JSON array.');
  const refs: InstanceRef[] = [];
  for (const [i, entry] of json.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return illegal(`entry ${i} should be a JSON object.`);
    const e = entry as Record<string, unknown>;
    const ip = scalarText(e['ip']);
    if (ip === undefined || ip === null || ip === '') return illegal(`entry ${i} needs an 'ip'.`);
    const port = portOf(e['port']);
    if (port === null) return illegal(`entry ${i} has an illegal 'port': ${JSON.stringify(e['port'])}.`);
    const cluster = scalarText(e['clusterName']);
    if (cluster === undefined && e['clusterName'] !== undefined) return illegal(`entry ${i} has an illegal 'clusterName'.`);
    refs.push({ ip, port, clusterName: cluster === null || cluster === undefined || cluster.trim() === '' ? undefined : cluster });
  }
  return { ok: true, refs };
}
