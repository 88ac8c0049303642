/**
 * Validation of Raft traffic arriving over the cluster transport. Peers are authenticated, but
 * every message is still checked before it reaches the deterministic core.
 */
import { z } from 'zod';
import type { Message, SnapshotMsg } from '../raft/types.js';

const nat = z.number().int().nonnegative();
const entry = z.object({ term: nat, index: nat, type: z.enum(['normal', 'conf']), data: z.string() });
const conf = z.object({ voters: z.array(z.string()), learners: z.array(z.string()) });
const snapshot = z.object({ meta: z.object({ index: nat, term: nat, conf }), data: z.string() });
const base = { from: z.string().min(1), to: z.string().min(1), term: nat };

const snapMessage = z.object({ ...base, type: z.literal('snap'), snapshot });

const message = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('app'), index: nat, logTerm: nat, entries: z.array(entry), commit: nat, quiet: z.boolean().optional() }),
  z.object({ ...base, type: z.literal('appResp'), index: nat, reject: z.boolean(), hint: nat, hintTerm: nat, lost: z.boolean().optional() }),
  z.object({ ...base, type: z.literal('vote'), index: nat, logTerm: nat, transfer: z.boolean() }),
  z.object({ ...base, type: z.literal('preVote'), index: nat, logTerm: nat, transfer: z.boolean() }),
  z.object({ ...base, type: z.literal('voteResp'), reject: z.boolean() }),
  z.object({ ...base, type: z.literal('preVoteResp'), reject: z.boolean() }),
  z.object({ ...base, type: z.literal('heartbeat'), commit: nat, ctx: z.string() }),
  z.object({ ...base, type: z.literal('heartbeatResp'), ctx: z.string() }),
  snapMessage,
  z.object({ ...base, type: z.literal('timeoutNow') }),
]);

const messagesRequest = z.object({ messages: z.array(message) });
const proposeRequest = z.object({ command: z.string().min(2) });
const proposeResponse = z.union([
  z.object({ ok: z.literal(true), index: nat }),
  z.object({ ok: z.literal(false), leader: z.string() }),
]);

export type ProposeReply = z.infer<typeof proposeResponse>;

/** Most commands in one batched forward (docs/raft.md "Forwarded writes"). */
export const MAX_PROPOSE_BATCH = 128;
const proposeBatchRequest = z.object({ commands: z.array(z.string().min(2)).min(1).max(MAX_PROPOSE_BATCH) });
/** One command's outcome in a batch: its index, "not proposed, retry at `leader`", or its own error. */
const proposeOutcome = z.union([
  z.object({ ok: z.literal(true), index: nat }),
  z.object({ ok: z.literal(false), leader: z.string() }),
  z.object({ ok: z.literal(false), code: z.number().int(), message: z.string() }),
]);
const proposeBatchResponse = z.object({ results: z.array(proposeOutcome) });

export type ProposeOutcome = z.infer<typeof proposeOutcome>;

/**
 * A snapshot with its image compressed (docs/raft.md "Snapshot transfer"): the message with an
 * empty `data`, the image's UTF-8 length, and the image as raw deflate in base64.
 */
const snapshotRequest = z.object({
  message: snapMessage.extend({ snapshot: snapshot.extend({ data: z.literal('') }) }),
  bytes: nat,
  deflated: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
});

export interface SnapshotRequest {
  message: SnapshotMsg;
  bytes: number;
  deflated: string;
}

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return i ? `${i.path.join('.')}: ${i.message}` : 'unknown';
}

/** Messages whose sender is not the authenticated peer are dropped by the caller. */
export function parseRaftMessages(body: unknown): Message[] | { error: string } {
  const r = messagesRequest.safeParse(body);
  if (!r.success) return { error: `invalid raft messages: ${firstIssue(r.error)}` };
  return r.data.messages as Message[];
}

export function parseProposeRequest(body: unknown): { command: string } | { error: string } {
  const r = proposeRequest.safeParse(body);
  return r.success ? r.data : { error: `invalid raft propose request: ${firstIssue(r.error)}` };
}

export function parseProposeReply(body: unknown): ProposeReply | { error: string } {
  const r = proposeResponse.safeParse(body);
  return r.success ? r.data : { error: `invalid raft propose reply: ${firstIssue(r.error)}` };
}

export function parseProposeBatchRequest(body: unknown): { commands: string[] } | { error: string } {
  const r = proposeBatchRequest.safeParse(body);
  return r.success ? r.data : { error: `invalid raft propose batch: ${firstIssue(r.error)}` };
}

/** The reply must answer every command of the request, in order. */
export function parseProposeBatchReply(body: unknown, commands: number): ProposeOutcome[] | { error: string } {
  const r = proposeBatchResponse.safeParse(body);
  if (!r.success) return { error: `invalid raft propose batch reply: ${firstIssue(r.error)}` };
  if (r.data.results.length !== commands) return { error: `invalid raft propose batch reply: ${r.data.results.length} results for ${commands} commands` };
  return r.data.results;
}

/** A RaftSnapshotRequest, refused when its image would exceed `maxImageBytes` (before inflating it). */
export function parseSnapshotRequest(body: unknown, maxImageBytes: number): SnapshotRequest | { error: string } {
  const r = snapshotRequest.safeParse(body);
  if (!r.success) return { error: `invalid raft snapshot request: ${firstIssue(r.error)}` };
  if (r.data.bytes > maxImageBytes) return { error: `raft snapshot image of ${r.data.bytes} bytes exceeds the limit of ${maxImageBytes} (nomen.raft.snapshot.max-bytes)` };
  return r.data as SnapshotRequest;
}
