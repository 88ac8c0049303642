/**
 * The one place where a request's (namespace, group, service name) becomes the ServiceKey it acts
 * on. Every edge uses it: the HTTP handlers and the HTTP auth filter, the gRPC handlers and the gRPC
 * authorizer, so a permission is always checked on exactly the key the request then changes or
 * reads (docs/auth.md, "Which service a request names"; docs/security.md §1).
 *
 * Two name styles:
 * - `grouped` (v1 naming, and the v2 routes that take a grouped name): `serviceName` is `svc` (the
 *   group is `groupName`, default DEFAULT_GROUP) or `group@@svc`. A grouped name together with a
 *   `groupName` that names another group is refused: the request is ambiguous, and reading one and
 *   acting on the other is how a permission on one group opened another.
 * - `bare` (v2/v3 instance and service routes, every gRPC request): `serviceName` is the bare name
 *   and must not contain `@@`.
 *
 * Whenever both styles accept an input they return the same key, so an edge that authorizes with
 * `grouped` and a handler that resolves with `bare` never disagree: the handler either acts on the
 * authorized key or refuses.
 *
 * Values are trimmed; a blank namespace is `public`, a blank group DEFAULT_GROUP.
 */
import { badRequest } from './errors.js';
import { DEFAULT_GROUP, GROUP_SEP, normalizeNamespace, type ServiceKey } from './names.js';

export type NameStyle = 'grouped' | 'bare';

/** The naming fields of a request as it carries them (absent, null or blank = not given). */
export interface ServiceRef {
  readonly namespace?: string | null | undefined;
  readonly groupName?: string | null | undefined;
  readonly serviceName: string;
}

/** Nacos' texts for a grouped name that does not split into a group and a name. */
const NOT_GROUPED = "Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'";
const EMPTY_GROUP = "Param 'serviceName' is illegal, groupName can't be empty";
/** What Nacos' parameter checker says about `@@` inside a bare name. */
export const GROUP_SEP_IN_BARE_NAME = "Param 'serviceName' is illegal, illegal characters should not appear in the param.";

/** Java `String.split(sep)`: literal separator, trailing empty strings removed. */
export function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * Nacos `NamingUtils.checkServiceNameFormat` + `getGroupName/getServiceName` on a grouped name:
 * `@@svc` → "groupName can't be empty", `svc@@` or `@@` → "it should be format as ...";
 * `a@@b@@c` is group `a`, name `b` (Java's `split(..)[1]`).
 */
export function splitGroupedStrict(grouped: string): { group: string; name: string } {
  const parts = javaSplit(grouped, GROUP_SEP);
  if (parts.length <= 1) throw badRequest(NOT_GROUPED, 21000);
  if (parts[0] === '') throw badRequest(EMPTY_GROUP, 21000);
  return { group: parts[0]!, name: parts[1]! };
}

/** The message for a grouped name whose group is not the `groupName` given with it (docs/auth.md). */
export function conflictingGroupMessage(embedded: string, groupName: string): string {
  return `Param 'serviceName' is illegal, its group '${embedded}' differs from groupName '${groupName}'.`;
}

/** The service a request names (see the module comment). Throws a 400 NacosError when it names none. */
export function resolveServiceKey(ref: ServiceRef, style: NameStyle): ServiceKey {
  const namespace = normalizeNamespace(ref.namespace);
  const given = (ref.groupName ?? '').trim();
  const serviceName = ref.serviceName.trim();
  if (!serviceName.includes(GROUP_SEP)) return { namespace, group: given === '' ? DEFAULT_GROUP : given, name: serviceName };
  if (style === 'bare') throw badRequest(GROUP_SEP_IN_BARE_NAME, 21000);
  const { group, name } = splitGroupedStrict(serviceName);
  // v2 code 20009 "parameter mismatch": the two parameters name different groups.
  if (given !== '' && given !== group) throw badRequest(conflictingGroupMessage(group, given), 20009);
  return { namespace, group, name };
}
