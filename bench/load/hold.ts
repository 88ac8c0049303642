/**
 * Loads ephemeral instances with BatchInstanceRequest and keeps the connections open (ephemeral
 * instances die with their connection) until the orchestrator ends stdin.
 *
 * `connections` × `servicesPerConn` services × `instancesPerService` instances. Service names are
 * `<prefix>-<c>-<s>`, or exactly `<prefix>` when there is a single service.
 */
import { performance } from 'node:perf_hooks';
import { batchRegisterBody, hostsOf, queryBody } from '../lib/bodies.js';
import { openConnections } from '../lib/nacos-client.js';
import { emitLoaded, hardDeadline, runMain, scriptArgs, stopRequested, type HoldArgs } from '../lib/script.js';
import { quickResultCode } from '../lib/wire.js';

interface Args extends HoldArgs {
  target: string;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const t0 = performance.now();
  const conns = await openConnections(a.target, a.connections, 32);
  const tConnected = performance.now();
  const single = a.connections * a.servicesPerConn === 1;
  const nameOf = (c: number, s: number): string => (single ? a.prefix : `${a.prefix}-${c}-${s}`);
  let batches = 0;
  await Promise.all(
    conns.map(async (conn, c) => {
      const hosts = hostsOf(c, a.instancesPerService);
      for (let s = 0; s < a.servicesPerConn; s++) {
        const r = await conn.call('BatchInstanceRequest', batchRegisterBody(nameOf(c, s), hosts, s), 30_000);
        if (r.type !== 'BatchInstanceResponse' || quickResultCode(r.body) !== 200) {
          throw new Error(`batch register ${nameOf(c, s)}: ${r.type} ${r.body.toString('utf8').slice(0, 300)}`);
        }
        batches++;
      }
    }),
  );
  const tLoaded = performance.now();
  // Spot-check one service through the query path.
  const check = await conns[0]!.request('ServiceQueryRequest', JSON.parse(queryBody(nameOf(0, 0))) as object);
  const hosts = (check.body.serviceInfo as { hosts?: unknown[] } | undefined)?.hosts?.length ?? 0;
  if (hosts !== a.instancesPerService) throw new Error(`query ${nameOf(0, 0)}: ${hosts} hosts, expected ${a.instancesPerService}`);
  emitLoaded(batches, a.instancesPerService, t0, tConnected, tLoaded);
  await stopRequested();
  for (const c of conns) c.close();
});
