/**
 * Service create and update from the v2/v3 service form (docs/protocol/http.md §2,
 * docs/protocol/nacos3.md "Console API"): `ephemeral` (default false), `protectThreshold`,
 * `metadata`, `selector`. Shared by the v2 routes and the v3 console.
 */
import { z } from 'zod';
import type { ServiceKey } from '../../core/names.js';
import { lenientBoolOr, metadataField, optStr, parseParams } from './fields.js';
import type { HttpDeps } from './kit.js';
import type { Params } from './params.js';
import { parseSelector, protectThresholdField } from './service-views.js';

export const ServiceFormSchema = z.object({
  ephemeral: lenientBoolOr(false),
  protectThreshold: protectThresholdField(false),
  metadata: metadataField(),
  selector: optStr(),
});

export type ServiceForm = z.output<typeof ServiceFormSchema>;

/** Parses the form (selector included) before anything is written. */
export function serviceForm(p: Params): ServiceForm & { parsedSelector: ReturnType<typeof parseSelector> } {
  const f = parseParams(ServiceFormSchema, p);
  return { ...f, parsedSelector: parseSelector(f.selector) };
}

export async function createServiceFrom(deps: HttpDeps, service: ServiceKey, f: ReturnType<typeof serviceForm>): Promise<void> {
  await deps.ctx.naming.createService(service, { ephemeral: f.ephemeral, protectThreshold: f.protectThreshold ?? 0, metadata: f.metadata ?? {}, selector: f.parsedSelector });
}

export async function updateServiceFrom(deps: HttpDeps, service: ServiceKey, f: ReturnType<typeof serviceForm>): Promise<void> {
  await deps.ctx.naming.updateService(service, { protectThreshold: f.protectThreshold ?? 0, metadata: f.metadata ?? {}, selector: f.parsedSelector });
}
