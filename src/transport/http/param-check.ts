/**
 * Nacos' `ParamCheckerFilter` for the naming HTTP APIs (docs/protocol/http.md §0.3 step 5, docs/protocol/persistent.md §6):
 * runs before the handler on the raw (untrimmed) parameters, skips blank values, and rejects with
 * 400 and Nacos' message. Switched off by `nacos.core.param.check.enabled=false`.
 *
 * Extraction follows `NamingDefaultHttpParamExtractor` / `NamingInstanceBeatHttpParamExtractor`:
 * a grouped `serviceName` is split at the first `@@` into group and name before checking, so
 * `@@svc` passes the checker (and is then rejected by the service-name format check).
 */
import { badRequest } from '../../core/errors.js';
import {
  checkClusters,
  checkGroup,
  checkIp,
  checkMetadata,
  checkNamespaceDesc,
  checkNamespaceId,
  checkNamespaceShowName,
  checkServiceName,
  GROUP_SEP,
} from '../../core/names.js';
import { parseBeat } from './beat.js';
import { javaInt, parseMetadata, type Params } from './params.js';

export type ExtractorKind = 'default' | 'beat';

const PORT_MESSAGE = "Param 'port' is illegal, the value should be between 0 and 65535.";

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === '';

function firstNonBlank(p: Params, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = p.raw(n);
    if (!blank(v)) return v;
  }
  return undefined;
}

function checkPortText(v: string | undefined): string | null {
  if (blank(v)) return null;
  const n = javaInt(v);
  return n === null || n < 0 || n > 65535 ? PORT_MESSAGE : null;
}

interface ParamInfo {
  namespaceId?: string | undefined;
  serviceName?: string | undefined;
  group?: string | undefined;
  clusters?: string | undefined;
  cluster?: string | undefined;
  ip?: string | undefined;
  port?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

/**
 * DefaultParamChecker.checkParamInfoFormat order: namespace, service, group, clusters, cluster, ip,
 * port, metadata. `chars` false (checker off): only the length limits of the names.
 */
function checkInfo(i: ParamInfo, metadataLimit: number, chars: boolean): string | null {
  if (!blank(i.namespaceId)) {
    const e = checkNamespaceId(i.namespaceId, chars);
    if (e) return e;
  }
  if (!blank(i.serviceName)) {
    const e = checkServiceName(i.serviceName, chars);
    if (e) return e;
  }
  if (!blank(i.group)) {
    const e = checkGroup(i.group, chars);
    if (e) return e;
  }
  if (!blank(i.clusters)) {
    const e = checkClusters(i.clusters, chars);
    if (e) return e;
  }
  if (!blank(i.cluster)) {
    const e = checkClusters(i.cluster, chars);
    if (e) return e;
  }
  if (!blank(i.ip)) {
    const e = checkIp(i.ip, chars);
    if (e) return e;
  }
  if (!chars) return null;
  const pe = checkPortText(i.port);
  if (pe) return pe;
  if (i.metadata) {
    const e = checkMetadata(i.metadata, metadataLimit);
    if (e) return e;
  }
  return null;
}

function serviceAndGroup(p: Params): { serviceName: string | undefined; group: string | undefined } {
  let serviceName = firstNonBlank(p, 'serviceName', 'serviceNameParam');
  let group = firstNonBlank(p, 'groupName', 'groupNameParam');
  if (serviceName !== undefined && serviceName.includes(GROUP_SEP)) {
    const i = serviceName.indexOf(GROUP_SEP);
    group = serviceName.slice(0, i);
    serviceName = serviceName.slice(i + 2);
  }
  return { serviceName, group };
}

/**
 * Throws a 400 NacosError when a parameter breaks Nacos' naming parameter rules. `chars` false
 * (`nacos.core.param.check.enabled=false`): only the length limits, which always apply.
 */
export function checkNamingParams(p: Params, kind: ExtractorKind, metadataLimit: number, chars = true): void {
  const { serviceName, group } = serviceAndGroup(p);
  const infos: ParamInfo[] = [];
  if (kind === 'beat') {
    infos.push({ namespaceId: p.raw('namespaceId'), serviceName, group, ip: p.raw('ip'), port: p.raw('port') });
    const beatText = p.get('beat');
    if (chars && beatText !== undefined) {
      const beat = parseBeat(beatText);
      infos.push({ ip: beat.ip, port: beat.port === undefined ? undefined : String(beat.port), cluster: beat.cluster });
    }
  } else {
    const metadataText = p.raw('metadata');
    infos.push({
      namespaceId: p.raw('namespaceId'),
      serviceName,
      group,
      clusters: p.raw('clusters'),
      cluster: firstNonBlank(p, 'clusterName', 'cluster'),
      ip: p.raw('ip'),
      port: firstNonBlank(p, 'port', 'checkPort'),
      // The extractor parses metadata itself; a malformed value fails here (400, see parseMetadata).
      metadata: !chars || blank(metadataText) ? undefined : parseMetadata(metadataText),
    });
  }
  for (const info of infos) {
    const e = checkInfo(info, metadataLimit, chars);
    if (e) throw badRequest(e, 20002);
  }
}

/**
 * Nacos' console checker (`ConsoleDefaultHttpParamExtractor`) on the namespace APIs: the id
 * (`namespaceId`, else `customNamespaceId`, and the `namespace` of a 2.x update) and the display
 * name (`namespaceName`, and the `namespaceShowName` of a 2.x update, which Nacos' extractor
 * misses); plus our length limit of `namespaceDesc`. `chars` false: lengths only.
 */
export function checkNamespaceParams(p: Params, chars = true): void {
  const id = firstNonBlank(p, 'namespaceId', 'customNamespaceId') ?? p.raw('namespace');
  const e =
    (blank(id) ? null : checkNamespaceId(id.trim(), chars)) ??
    checkNamespaceShowName(p.raw('namespaceName') ?? '', chars) ??
    checkNamespaceShowName(p.raw('namespaceShowName') ?? '', chars) ??
    checkNamespaceDesc(p.raw('namespaceDesc') ?? '');
  if (e) throw badRequest(e, 20002);
}
