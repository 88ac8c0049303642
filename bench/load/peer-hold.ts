/**
 * Loads instances into a peer registry and holds them, the counterpart of hold.ts: `connections`
 * connections (etcd: one lease each; ZooKeeper: one session each) × `servicesPerConn` services ×
 * `instancesPerService` instances, one batch request per service (etcd Txn / ZooKeeper multi),
 * kept until the orchestrator ends stdin.
 */
import { performance } from 'node:perf_hooks';
import { hostsOf } from '../lib/bodies.js';
import { emitLoaded, hardDeadline, runMain, scriptArgs, stopRequested, type HoldArgs } from '../lib/script.js';
import { inParallel, type PeerConnection, type PeerName } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';

interface Args extends HoldArgs {
  peer: PeerName;
  endpoint: string;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const driver = DRIVERS[a.peer];
  const t0 = performance.now();
  const conns: PeerConnection[] = new Array<PeerConnection>(a.connections);
  await inParallel(conns, 32, async (_x, i) => {
    conns[i] = await driver.connect(a.endpoint, i);
  });
  await conns[0]!.prepareServices([]);
  const tConnected = performance.now();
  const nameOf = (c: number, s: number): string => `${a.prefix}-${c}-${s}`;
  let batches = 0;
  await Promise.all(
    conns.map(async (conn, c) => {
      const hosts = hostsOf(c, a.instancesPerService);
      for (let s = 0; s < a.servicesPerConn; s++) {
        await conn.batchRegister(nameOf(c, s), hosts);
        batches++;
      }
    }),
  );
  const tLoaded = performance.now();
  const got = await conns[0]!.query(nameOf(0, 0));
  if (got !== a.instancesPerService) throw new Error(`query ${nameOf(0, 0)}: ${got} instances, expected ${a.instancesPerService}`);
  emitLoaded(batches, a.instancesPerService, t0, tConnected, tLoaded);
  await stopRequested();
  await Promise.all(conns.map((c) => c.close()));
});
