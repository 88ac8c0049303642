/**
 * Authentication of a member stream, once at open (docs/security.md §2, "Member streams"):
 *
 *   server → CHALLENGE {server, nonce: Ns}          Ns = 32 fresh random bytes per stream (hex)
 *   client → HELLO {member, server, nonce: Nc, proof: HMAC(secret, "open", member, server, Ns, Nc)}
 *   server → WELCOME {proof: HMAC(secret, "accept", member, server, Ns, Nc)}
 *
 * The server accepts a HELLO only for the challenge it issued on this very stream, from a listed
 * member, naming this server: a recorded stream-open is useless on another stream (a new Ns), and
 * an open meant for one member does not work at another. The client checks that the server is the
 * member it dialled and that WELCOME proves the secret, so a process that merely listens on a
 * peer's port learns nothing it could not already see. No clock is involved.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthFailure } from './auth.js';

const HEX32 = /^[0-9a-f]{64}$/;
const MAX_MEMBER_CHARS = 300;

function proof(secret: string, label: 'open' | 'accept', member: string, server: string, serverNonce: string, clientNonce: string): string {
  return createHmac('sha256', secret).update(`nomen-member-stream-${label}\n${member}\n${server}\n${serverNonce}\n${clientNonce}`, 'utf8').digest('hex');
}

export interface Challenge {
  server: string;
  nonce: string;
}

export interface Hello {
  member: string;
  server: string;
  nonce: string;
  proof: string;
}

/** Client: the HELLO answering `challenge`, or why the challenge is not acceptable. */
export function answerChallenge(secret: string, self: string, dialled: string, challenge: unknown, clientNonce: string): Hello | { error: string } {
  if (!isRecord(challenge) || typeof challenge['server'] !== 'string' || typeof challenge['nonce'] !== 'string' || !HEX32.test(challenge['nonce'])) {
    return { error: 'malformed challenge' };
  }
  // The peer must be the member we meant to reach (its address is part of both proofs).
  if (challenge['server'] !== dialled) return { error: `the peer calls itself ${challenge['server']}, not ${dialled}` };
  return { member: self, server: dialled, nonce: clientNonce, proof: proof(secret, 'open', self, dialled, challenge['nonce'], clientNonce) };
}

export type HelloResult = { ok: true; from: string; welcome: { proof: string } } | { ok: false; failure: AuthFailure; detail: string };

/** Server: checks a HELLO against the challenge this stream issued. */
export function verifyHello(secret: string, challenge: Challenge, isMember: (a: string) => boolean, hello: unknown): HelloResult {
  if (!isRecord(hello)) return { ok: false, failure: 'missing-headers', detail: 'stream opened without a hello' };
  const { member, server, nonce, proof: given } = hello;
  if (typeof member !== 'string' || member === '' || member.length > MAX_MEMBER_CHARS || typeof server !== 'string' || typeof nonce !== 'string' || typeof given !== 'string') {
    return { ok: false, failure: 'missing-headers', detail: 'hello lacks member, server, nonce or proof' };
  }
  if (server !== challenge.server) return { ok: false, failure: 'bad-signature', detail: `hello is for ${server}, not ${challenge.server}` };
  if (!isMember(member)) return { ok: false, failure: 'not-a-member', detail: `${member} is not a member` };
  if (!HEX32.test(nonce) || !HEX32.test(given)) return { ok: false, failure: 'bad-signature', detail: 'malformed nonce or proof' };
  const expected = Buffer.from(proof(secret, 'open', member, server, challenge.nonce, nonce), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) return { ok: false, failure: 'bad-signature', detail: 'proof mismatch' };
  return { ok: true, from: member, welcome: { proof: proof(secret, 'accept', member, server, challenge.nonce, nonce) } };
}

/** Client: the WELCOME proves that the server holds the secret and saw our HELLO for its challenge. */
export function verifyWelcome(secret: string, hello: Hello, challengeNonce: string, welcome: unknown): boolean {
  if (!isRecord(welcome) || typeof welcome['proof'] !== 'string' || !HEX32.test(welcome['proof'])) return false;
  const expected = Buffer.from(proof(secret, 'accept', hello.member, hello.server, challengeNonce, hello.nonce), 'hex');
  return timingSafeEqual(expected, Buffer.from(welcome['proof'], 'hex'));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
