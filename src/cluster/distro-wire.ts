/**
 * Validation of Distro messages arriving over the cluster transport (the edge: peers are
 * authenticated, but a message is still checked before it reaches the deterministic core).
 */
import { z } from 'zod';
import type { DistroRequest, DistroResponse } from '../distro/messages.js';
import { instanceSchema } from '../naming/persistent-state.js';

const serviceKey = z.object({ namespace: z.string(), group: z.string(), name: z.string() });
const clientSyncData = z.object({
  clientId: z.string(),
  kind: z.enum(['connection', 'ephemeral-ipport', 'persistent-ipport']),
  revision: z.number(),
  publishes: z.array(z.object({ service: serviceKey, instances: z.array(instanceSchema) })),
});
const changeEntry = z.object({ op: z.literal('change'), data: clientSyncData, writer: z.string() });
const deleteEntry = z.object({
  op: z.literal('delete'),
  clientId: z.string(),
  version: z.number(),
  writer: z.string(),
  handover: z.literal(true).optional(),
});
const syncEntry = z.discriminatedUnion('op', [changeEntry, deleteEntry]);
const verifyItem = z.union([z.tuple([z.string(), z.number()]), z.tuple([z.string(), z.number(), z.string()])]);

const request = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sync'), from: z.string(), entries: z.array(syncEntry) }),
  z.object({
    type: z.literal('verify-digest'),
    from: z.string(),
    asOf: z.number(),
    buckets: z.number().int().positive(),
    digests: z.array(z.tuple([z.number().int(), z.number().int(), z.number()])),
  }),
  z.object({
    type: z.literal('verify-list'),
    from: z.string(),
    asOf: z.number(),
    buckets: z.number().int().positive().nullable(),
    scope: z.array(z.number().int()).nullable(),
    clients: z.array(verifyItem),
  }),
  z.object({ type: z.literal('snapshot'), from: z.string(), cursor: z.string().nullable(), maxBytes: z.number().int().positive() }),
]);

const snapshotEntry = z.union([changeEntry.extend({ owner: z.string(), age: z.number() }), deleteEntry]);
const response = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sync-ack'), newer: z.array(syncEntry), failed: z.array(z.string()) }),
  z.object({ type: z.literal('verify-digest-result'), mismatched: z.array(z.number().int()) }),
  z.object({ type: z.literal('verify-list-result'), need: z.array(z.string()), newer: z.array(syncEntry), extra: z.array(z.string()) }),
  z.object({ type: z.literal('snapshot-chunk'), loaded: z.boolean(), entries: z.array(snapshotEntry), next: z.string().nullable() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

export function parseDistroRequest(body: unknown): DistroRequest | { error: string } {
  const r = request.safeParse(body);
  if (r.success) return r.data as DistroRequest;
  const i = r.error.issues[0];
  return { error: `invalid distro request: ${i ? `${i.path.join('.')}: ${i.message}` : 'unknown'}` };
}

export function parseDistroResponse(body: unknown): DistroResponse | { error: string } {
  const r = response.safeParse(body);
  if (r.success) return r.data as DistroResponse;
  const i = r.error.issues[0];
  return { error: `invalid distro response: ${i ? `${i.path.join('.')}: ${i.message}` : 'unknown'}` };
}
