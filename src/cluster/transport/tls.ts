/**
 * Optional mutual TLS for the cluster port (keys nomen.cluster.tls.cert / .key / .ca). When set,
 * the server requires a client certificate signed by the CA and every client presents the same
 * member certificate. The server certificate must name the member's advertised IP in its
 * subjectAltName (IP:...): clients verify it against the address they dial. mTLS adds transport
 * protection; the per-request member authentication (auth.ts) still applies on top of it.
 */
import { readFileSync } from 'node:fs';
import type * as http2 from 'node:http2';

export interface ClusterTlsMaterial {
  /** PEM certificate chain of this member (used as server and as client certificate). */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** PEM CA bundle that signs every member certificate. */
  readonly ca: Buffer;
}

export interface ClusterTlsPaths {
  cert: string;
  key: string;
  ca: string;
}

/**
 * Reads the three PEM files. All empty → null (plaintext h2c). Some but not all set → throws: a
 * half-configured TLS must not silently fall back to plaintext.
 */
export function readClusterTls(paths: ClusterTlsPaths): ClusterTlsMaterial | null {
  const set = [paths.cert, paths.key, paths.ca].filter((p) => p !== '').length;
  if (set === 0) return null;
  if (set !== 3) throw new Error('cluster TLS needs all of nomen.cluster.tls.cert, nomen.cluster.tls.key and nomen.cluster.tls.ca');
  return { cert: readFileSync(paths.cert), key: readFileSync(paths.key), ca: readFileSync(paths.ca) };
}

/** node:http2 server options for mutual TLS: a client certificate signed by the CA is required. */
export function serverTlsOptions(tls: ClusterTlsMaterial): http2.SecureServerOptions {
  return { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true };
}

/** node:http2 client options: verify the peer against the CA (and the dialled IP), present our certificate. */
export function clientTlsOptions(tls: ClusterTlsMaterial): http2.SecureClientSessionOptions {
  return { cert: tls.cert, key: tls.key, ca: tls.ca };
}
