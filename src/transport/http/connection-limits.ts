/**
 * Time and count limits of the HTTP port (docs/security.md §9): a client cannot hold a connection
 * by sending nothing, or its headers or body slowly, and there is a cap on open connections.
 *
 *  - silent connection (no byte within `headersTimeoutMs`): closed;
 *  - headers not complete `headersTimeoutMs` after the request's first byte: 408, closed (Node);
 *  - request (headers and body) not received within `requestTimeoutMs`: 408, closed (Node). This
 *    bounds receiving the request only; a handler may hold its response longer (long polling);
 *  - idle keep-alive connection: closed after `keepAliveTimeoutMs`;
 *  - more than `maxConnections` open: new connections are closed at once.
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { ConfigError, type Config } from '../../config/config.js';
import type { Logger } from '../../observability/logger.js';

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** Drops over the connection cap are logged at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

export function httpLimitsFrom(c: Config): HttpLimits {
  const limits = {
    headersTimeoutMs: c.int('nomen.http.headers-timeout-ms'),
    requestTimeoutMs: c.int('nomen.http.request-timeout-ms'),
    keepAliveTimeoutMs: c.int('nomen.http.keep-alive-timeout-ms'),
    maxConnections: c.int('nomen.http.max-connections'),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `nomen.http.headers-timeout-ms (${limits.headersTimeoutMs}) must not be above nomen.http.request-timeout-ms (${limits.requestTimeoutMs})`,
    );
  }
  return limits;
}

/**
 * Options for `http.createServer` (fastify's `http` option). Node checks its timeouts every
 * `connectionsCheckingInterval` (30 s by default, which would stretch a 10 s limit to 40 s): a
 * quarter of the headers timeout, between 50 ms and 5 s.
 */
export function nodeServerOptions(l: HttpLimits): ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(5000, Math.max(50, Math.floor(l.headersTimeoutMs / 4))),
  };
}

/**
 * The parts Node does not do itself: the connection cap, and closing connections that never send
 * a byte (Node's headers timeout starts at a request's first byte).
 */
export function installConnectionLimits(server: Server, l: HttpLimits, log: Logger): void {
  server.maxConnections = l.maxConnections;
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, l.headersTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  let lastLog = -Infinity;
  let dropped = 0;
  server.on('drop', () => {
    dropped++;
    const now = performance.now(); // monotonic: a wall-clock step must not silence the warning (docs/reliability.md "Clock jumps")
    if (now - lastLog < DROP_LOG_INTERVAL_MS) return;
    lastLog = now;
    log.warn({ maxConnections: l.maxConnections, dropped }, 'HTTP connection cap reached: new connections closed (nomen.http.max-connections)');
    dropped = 0;
  });
}
