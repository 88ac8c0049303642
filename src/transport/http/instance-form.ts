/**
 * Schemas shared by the instance endpoints of every version: the service identity and the
 * instance form (docs/protocol/http.md §1.1, §2, §3.1). Key order = the order Nacos reads the parameters,
 * so the first failure reported is the one Nacos would report.
 */
import { z } from 'zod';
import type { ServiceKey } from '../../core/names.js';
import type { InstanceInput } from '../../naming/instance-input.js';
import { lenientBoolOr, metadataField, optDouble, optStr, parseParams, reqInt, reqStr } from './fields.js';
import { serviceKeyV1, serviceKeyV2, type Params } from './params.js';

const ServiceSchema = z.object({ serviceName: reqStr('serviceName'), namespaceId: optStr(), groupName: optStr() });
/** The same, where Nacos binds `serviceName` with `@RequestParam` (Spring's "missing" wording). */
const SpringServiceSchema = z.object({ serviceName: reqStr('serviceName', true), namespaceId: optStr(), groupName: optStr() });

/** v1: plain or grouped `serviceName` (+ `groupName`), `namespaceId`. */
export function serviceV1(p: Params): ServiceKey {
  const s = parseParams(ServiceSchema, p);
  return serviceKeyV1(s.namespaceId, s.serviceName, s.groupName);
}

/** v2/v3: bare `serviceName` + `groupName`; `spring`: Nacos reads them with `@RequestParam`, not a form. */
export function serviceV2(p: Params, spring = false): ServiceKey {
  const s = parseParams(spring ? SpringServiceSchema : ServiceSchema, p);
  return serviceKeyV2(s.namespaceId, s.serviceName, s.groupName);
}

export const InstanceFormSchema = z.object({
  ip: reqStr('ip'),
  port: reqInt('port'),
  weight: optDouble(),
  clusterName: optStr(),
  healthy: lenientBoolOr(true),
  enabled: lenientBoolOr(true),
  // Switch `defaultInstanceEphemeral` (true).
  ephemeral: lenientBoolOr(true),
  metadata: metadataField(),
});

export type InstanceForm = z.output<typeof InstanceFormSchema>;

export function instanceForm(p: Params): InstanceForm {
  return parseParams(InstanceFormSchema, p);
}

export function toInstanceInput(f: InstanceForm): InstanceInput {
  return { ip: f.ip, port: f.port, weight: f.weight, healthy: f.healthy, enabled: f.enabled, clusterName: f.clusterName, metadata: f.metadata };
}
