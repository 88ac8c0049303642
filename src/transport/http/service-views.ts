/**
 * JSON shapes of services for the admin/console APIs (docs/protocol/http.md §1.9, §1.10, §2, §3.2):
 * the catalog row (ServiceView), service detail, selector and health-checker JSON, and the parsing
 * of the `selector` / `healthChecker` parameters. The facts come from `naming/catalog.ts`.
 */
import { badRequest, serverError } from '../../core/errors.js';
import { LABEL_EXPRESSION_FAILED, parseLabelExpression } from '../../core/label-expression.js';
import { toInstanceJson, type Instance, type InstanceJson } from '../../core/instance.js';
import type { HealthChecker, Selector } from '../../core/metadata.js';
import { groupedName } from '../../core/names.js';
import { clusterMeta, clusterNames, page, triggerFlag, type ServiceFacts } from '../../naming/catalog.js';
import { rangedDouble } from './fields.js';

/** Health checker JSON the way Nacos' polymorphic type serialises it. */
export function checkerJson(c: HealthChecker): Record<string, unknown> {
  if (c.type === 'HTTP') return { type: 'HTTP', path: c.path ?? '', headers: c.headers ?? '', expectedResponseCode: c.expectedResponseCode ?? 200 };
  return { type: c.type };
}

/**
 * Selector JSON as Nacos' naming selectors serialise: the `none` selector always carries
 * `"contextType":"NONE"`, the label selector `"contextType":"CMDB"` (docs/open-api-fidelity.md,
 * item 2) and its parsed `labels` (docs/protocol/nacos3.md §0.5 "Selector").
 */
export function selectorJson(s: Selector): Record<string, unknown> {
  if (s.type !== 'label') return { type: 'none', contextType: 'NONE' };
  const expression = s.expression ?? '';
  return { type: 'label', contextType: 'CMDB', expression, labels: parseLabelExpression(expression) ?? [] };
}

export function instancesJson(f: ServiceFacts, list: readonly Instance[]): InstanceJson[] {
  const g = groupedName(f.key.group, f.key.name);
  return list.map((i) => toInstanceJson(i, g));
}

/** A catalog row (ServiceView). */
export function serviceView(f: ServiceFacts): Record<string, unknown> {
  return {
    name: f.key.name,
    groupName: f.key.group,
    clusterCount: clusterNames(f).length,
    ipCount: f.instances.length,
    healthyInstanceCount: f.instances.filter((i) => i.healthy).length,
    // A string, like Nacos (docs/protocol/persistent.md §5).
    triggerFlag: String(triggerFlag(f)),
  };
}

/**
 * v2/v3 service detail: `clusterMap` keyed by cluster name. `clusters`: `hosts` with the cluster's
 * instances; `settings` with `hosts: null`, as Nacos 3's ServiceDetailInfo (docs/protocol/nacos3.md
 * "Console API"); `legacy` is the 2.4 `/v2/ns/service` ClusterInfo (name, checker, metadata,
 * `hosts: null`; docs/compatibility.md).
 */
export function serviceDetail(f: ServiceFacts, namespaceKey: 'namespace' | 'namespaceId' = 'namespace', clusters: 'hosts' | 'settings' | 'legacy' = 'hosts'): Record<string, unknown> {
  const clusterMap: Record<string, unknown> = {};
  for (const c of clusterNames(f)) {
    const cm = clusterMeta(f, c);
    const hosts =
      clusters === 'hosts'
        ? instancesJson(
            f,
            f.instances.filter((i) => i.clusterName === c),
          )
        : null;
    clusterMap[c] =
      clusters === 'legacy'
        ? { clusterName: c, healthChecker: checkerJson(cm.healthChecker), metadata: cm.metadata, hosts }
        : { clusterName: c, healthChecker: checkerJson(cm.healthChecker), healthyCheckPort: cm.checkPort, useInstancePortForCheck: cm.useInstancePort4Check, metadata: cm.metadata, hosts };
  }
  return {
    [namespaceKey]: f.key.namespace,
    serviceName: f.key.name,
    groupName: f.key.group,
    clusterMap,
    metadata: f.meta.metadata,
    protectThreshold: f.meta.protectThreshold,
    selector: selectorJson(f.meta.selector),
    ephemeral: f.meta.ephemeral,
  };
}

/**
 * The `selector` parameter (docs/protocol/http.md §1.9): URL-encoded JSON `{"type":"none"|"label","expression":…}`.
 * Blank → `none`. Unknown type → 400 `not match any type of selector!` (code 21006); a label
 * expression that does not parse → 500 (docs/protocol/nacos3.md §1.1).
 */
export function parseSelector(text: string | undefined): Selector {
  if (text === undefined) return { type: 'none' };
  let decoded = text;
  if (!text.trimStart().startsWith('{')) {
    try {
      decoded = decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      decoded = text;
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(decoded);
  } catch {
    throw badRequest("Param 'selector' is illegal, it should be a JSON object.", 21006);
  }
  const type = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['type'] : undefined;
  const expression = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['expression'] : undefined;
  if (type === 'none') return { type: 'none' };
  if (type === 'label') {
    const expr = typeof expression === 'string' ? expression : '';
    // Nacos' SelectorManager wraps the parse failure: HTTP 500, `Selector parses failed: parse expression failed!`.
    if (parseLabelExpression(expr) === null) throw serverError(`Selector parses failed: ${LABEL_EXPRESSION_FAILED}`);
    return { type: 'label', expression: expr };
  }
  throw badRequest('not match any type of selector!', 21006);
}

/** The `healthChecker` parameter of the cluster APIs: JSON with a `type`; unknown types decode to NONE (docs/protocol/persistent.md §3.2). */
/** The service's protect threshold: a finite number in [0, 1] (healthy/total ≤ it protects). */
export const protectThresholdField = (required: boolean) => rangedDouble('protectThreshold', 0, 1, required);

export function parseHealthChecker(text: string): HealthChecker {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest("Param 'healthChecker' is illegal, it should be a JSON object.");
  }
  if (typeof json !== 'object' || json === null) throw badRequest("Param 'healthChecker' is illegal, it should be a JSON object.");
  const o = json as Record<string, unknown>;
  const type = typeof o['type'] === 'string' ? o['type'].toUpperCase() : '';
  if (type === 'TCP') return { type: 'TCP' };
  if (type === 'HTTP') {
    const c: HealthChecker = { type: 'HTTP', path: typeof o['path'] === 'string' ? o['path'] : '', headers: typeof o['headers'] === 'string' ? o['headers'] : '' };
    const code = o['expectedResponseCode'];
    if (code === undefined || code === null) c.expectedResponseCode = 200;
    else if (typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599) c.expectedResponseCode = code;
    // 1e400 parses to Infinity, which a log entry cannot carry (issue 11 defect 5).
    else throw badRequest("Param 'healthChecker' is illegal, expectedResponseCode should be an integer between 100 and 599.");
    return c;
  }
  if (type === 'MYSQL') return { type: 'MYSQL' };
  return { type: 'NONE' };
}

/**
 * Nacos 3's `Page<T>` of a whole list (docs/protocol/nacos3.md "Shared shapes"): items
 * `[(pageNo-1)·pageSize, +pageSize)`, `pagesAvailable = totalCount / pageSize + 1` in integer
 * division (one page too many on an exact multiple, as Nacos), and 0 pages for an empty list.
 */
export function pageJson<T>(list: readonly T[], pageNo: number, pageSize: number): { totalCount: number; pageNumber: number; pagesAvailable: number; pageItems: T[] } {
  const total = list.length;
  return { totalCount: total, pageNumber: pageNo, pagesAvailable: total === 0 ? 0 : Math.floor(total / pageSize) + 1, pageItems: page(list, pageNo, pageSize) };
}
