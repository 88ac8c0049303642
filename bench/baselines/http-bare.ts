/**
 * Baseline: a bare node:http server answering cached, pre-encoded JSON bodies:
 *  - GET /small -> a small JSON object (~100 bytes);
 *  - anything else -> a ~100-host ServiceInfo in the v1 `instance/list` shape (grouped name).
 * No routing library, no parsing of the query string: the ceiling for node:http on one core.
 */
import { createServer } from 'node:http';
import { okResponseJson, serviceInfoJson } from '../lib/bodies.js';
import { emit, hardDeadline, runMain, scriptArgs, stopRequested } from '../lib/script.js';

interface Args {
  port: number;
  host?: string;
  listHosts?: number;
  maxLifetimeMs?: number;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs ?? 30 * 60_000);
  const small = Buffer.from(okResponseJson(',"type":"registerInstance"'), 'utf8');
  const list = Buffer.from(serviceInfoJson('bench-100', a.listHosts ?? 100, 'grouped'), 'utf8');
  const server = createServer((req, res) => {
    const body = req.url === '/small' ? small : list;
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((res) => server.listen(a.port, a.host ?? '127.0.0.1', res));
  emit('ready', { port: a.port, smallBytes: small.length, listBytes: list.length });
  await stopRequested();
  server.closeAllConnections();
  server.close();
});
