/**
 * Push fan-out: `subscribers` gRPC connections subscribe (SubscribeServiceRequest) to one service
 * and ack every NotifySubscriberRequest (NotifySubscriberResponse echoing requestId). A separate
 * "changer" connection then changes the service `rounds` times (InstanceRequest register with a
 * new address each round: Nacos replaces the connection's instance). For each round and each
 * subscriber we record when the first push containing the new address arrived, relative to the
 * moment the changer got its InstanceResponse (and, for reference, to when it sent the request).
 */
import { performance } from 'node:perf_hooks';
import { loopbackIp, registerBody, subscribeBody } from '../lib/bodies.js';
import { NacosConnection, openConnections, type PushEvent } from '../lib/nacos-client.js';
import { Arrivals, measureRound, type FanoutArgs } from '../lib/fanout.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import type { PushResult, PushRound } from '../lib/types.js';

interface Args extends FanoutArgs {
  target: string;
}

/** Whether the pushed ServiceInfo lists `ip` (a byte search: the load generator must stay cheap). */
function pushHasIp(p: PushEvent, ip: string): boolean {
  return p.raw.includes(`"ip":"${ip}"`);
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const changer = new NacosConnection(a.target, { appName: 'bench-changer' });
  await changer.connect();
  const reg = (r: number): string => registerBody(a.service, loopbackIp(200, r), 7000, r + 1);
  await changer.expectOk('InstanceRequest', JSON.parse(reg(0)) as object, 'InstanceResponse');

  // Per-round arrival bookkeeping, filled by the push handlers.
  const n = a.subscribers;
  let expectIp = loopbackIp(200, 0);
  const arrivals = new Arrivals(n);
  const handler =
    (i: number) =>
    (p: PushEvent): void => {
      if (p.type !== 'NotifySubscriberRequest' || arrivals.has(i)) return;
      if (!pushHasIp(p, expectIp)) return;
      arrivals.mark(i, p.receivedAt);
    };

  const tConn = performance.now();
  const subs = await openConnections(a.target, n, a.connectParallel, (i) => ({ appName: 'bench-sub', onPush: handler(i) }), 300_000);
  const connectMs = performance.now() - tConn;
  log(`${n} subscribers connected in ${connectMs.toFixed(0)} ms`);
  const tSub = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(a.connectParallel, n) }, async () => {
      while (next < n) {
        const i = next++;
        await subs[i]!.expectOk('SubscribeServiceRequest', JSON.parse(subscribeBody(a.service, i + 1)) as object, 'SubscribeServiceResponse', 30_000);
      }
    }),
  );
  const subscribeMs = performance.now() - tSub;
  // The server pushes once to each new subscriber after its merge window.
  const initialAll = await arrivals.waitAll(a.roundTimeoutMs);
  const initialPushes = arrivals.count;
  log(`subscribed in ${subscribeMs.toFixed(0)} ms; initial pushes ${initialPushes}/${n}`);
  emit('subscribed', { connectMs, subscribeMs, initialPushes });

  const rounds: PushRound[] = [];
  for (let r = 1; r <= a.rounds; r++) {
    await new Promise((res) => setTimeout(res, a.pauseMs));
    expectIp = loopbackIp(200, r);
    const body = JSON.parse(reg(r)) as object;
    rounds.push(await measureRound(arrivals, async () => void (await changer.expectOk('InstanceRequest', body, 'InstanceResponse')), a.roundTimeoutMs, a.serverPid));
  }
  const result: PushResult = { subscribers: n, connectMs, subscribeMs, initialPushes, initialAll, rounds, streamsClosed: subs.filter((s) => s.streamClosed).length };
  emit('result', result);
  changer.close();
  for (const s of subs) s.close();
});
