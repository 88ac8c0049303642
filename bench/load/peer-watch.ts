/**
 * Change → notification on a peer registry, the counterpart of push-fanout.ts: `subscribers`
 * watches on one service, spread over `clients` connections (watch i on connection i mod clients),
 * and a separate changer connection that adds a new instance (one request) `rounds` times. Per round and
 * watch we record when its first notification of the change arrived, relative to the moment the
 * changer's register call returned (and to when it was sent).
 *
 * With `config: true` the watched thing is one config instead (bench/peers/common.ts `watchConfig`):
 * the change is a write of a new content of `configBytes` bytes, marked with the round number.
 */
import { performance } from 'node:perf_hooks';
import { configContent, configMarker, loopbackIp } from '../lib/bodies.js';
import { Arrivals, measureRound, type FanoutArgs } from '../lib/fanout.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import type { PushResult, PushRound } from '../lib/types.js';
import { inParallel, type PeerConnection, type PeerName } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';

interface Args extends FanoutArgs {
  peer: PeerName;
  endpoint: string;
  /** Connections the watches are spread over. */
  clients: number;
  /** Watch the config `service` (as a dataId) instead of the service. */
  config?: boolean;
  configBytes?: number;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const driver = DRIVERS[a.peer];
  const changer = await driver.connect(a.endpoint, 1_000_000);
  const content = (r: number): Buffer => Buffer.from(configContent(String(r), a.configBytes ?? 1024));
  if (a.config) await changer.putConfig(a.service, content(0));
  else {
    await changer.prepareServices([a.service]);
    // Grants the changer's lease (etcd) outside the measured changes.
    await changer.change(a.service, { ip: '127.254.254.254', port: 1 });
  }
  const port = 10_000 + Math.floor(Math.random() * 50_000);
  const hostOf = (r: number): { ip: string; port: number } => ({ ip: loopbackIp(200, r), port });

  const n = a.subscribers;
  let expect = `${hostOf(0).ip}:${port}`;
  let round = 0;
  let armed = false;
  const arrivals = new Arrivals(n);
  const handler =
    (i: number) =>
    (key: string | null, at: number): void => {
      if (!armed || arrivals.has(i)) return;
      if (key !== null && !key.endsWith(expect)) return;
      arrivals.mark(i, at);
    };
  const configHandler =
    (i: number) =>
    (data: Buffer | null, at: number): void => {
      if (!armed || arrivals.has(i)) return;
      if (data !== null && configMarker(data) !== String(round)) return;
      arrivals.mark(i, at);
    };

  const clients = Math.min(a.clients, n);
  const tConn = performance.now();
  const conns: PeerConnection[] = new Array<PeerConnection>(clients);
  await inParallel(conns, a.connectParallel, async (_x, i) => {
    conns[i] = await driver.connect(a.endpoint, i);
  });
  const connectMs = performance.now() - tConn;
  log(`${clients} ${a.peer} connections in ${connectMs.toFixed(0)} ms`);
  const tSub = performance.now();
  await inParallel(Array.from({ length: n }, (_, i) => i), a.connectParallel, async (i) => {
    const conn = conns[i % clients]!;
    await (a.config ? conn.watchConfig(a.service, configHandler(i)) : conn.watch(a.service, handler(i)));
  });
  const subscribeMs = performance.now() - tSub;
  log(`${n} watches in ${subscribeMs.toFixed(0)} ms`);
  emit('subscribed', { connectMs, subscribeMs, initialPushes: n });

  const rounds: PushRound[] = [];
  for (let r = 1; r <= a.rounds; r++) {
    await new Promise((res) => setTimeout(res, a.pauseMs));
    const h = hostOf(r);
    expect = `${h.ip}:${h.port}`;
    round = r;
    armed = true;
    const change = a.config ? () => changer.putConfig(a.service, content(r)) : () => changer.change(a.service, h);
    rounds.push(await measureRound(arrivals, change, a.roundTimeoutMs, a.serverPid));
    armed = false;
  }
  const result: PushResult = { subscribers: n, connectMs, subscribeMs, initialPushes: n, initialAll: true, rounds, streamsClosed: 0 };
  emit('result', result);
  await Promise.all([changer, ...conns].map((c) => c.close()));
});
