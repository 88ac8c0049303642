/** Plain HTTP calls to a member from the root namespace (a fresh connection per call, bounded in time). */
import { request } from 'node:http';

export interface Reply {
  status: number;
  text: string;
  /** The `Date` header (the member's wall clock, whole seconds). */
  date?: string;
}

export function call(host: string, method: string, path: string, query: Record<string, string>, timeoutMs: number): Promise<Reply> {
  const qs = new URLSearchParams(query).toString();
  const isWrite = method !== 'GET';
  const body = isWrite ? qs : '';
  const url = isWrite || qs === '' ? path : `${path}?${qs}`;
  return new Promise((res, rej) => {
    const req = request(
      {
        host,
        port: 8848,
        method,
        path: url,
        agent: false,
        timeout: timeoutMs,
        headers: isWrite ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {},
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ...(r.headers.date === undefined ? {} : { date: r.headers.date }) }));
        r.on('error', rej);
      },
    );
    const t = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(t));
    req.on('timeout', () => req.destroy(new Error(`idle timeout after ${timeoutMs} ms`)));
    req.on('error', rej);
    req.end(body);
  });
}

/** Parses JSON or returns undefined. */
export function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
