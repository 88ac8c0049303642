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
import { cpuSeconds } from '../lib/proc.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import { summarizeLatencies } from '../lib/stats.js';
import type { PushResult, PushRound } from '../lib/types.js';

interface Args {
  target: string;
  service: string;
  subscribers: number;
  rounds: number;
  connectParallel: number;
  roundTimeoutMs: number;
  pauseMs: number;
  maxLifetimeMs: number;
  /** pid of the server, to charge CPU per push. */
  serverPid?: number;
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
  let arrived = new Float64Array(n).fill(NaN);
  let count = 0;
  let onAll: (() => void) | null = null;
  const handler =
    (i: number) =>
    (p: PushEvent): void => {
      if (p.type !== 'NotifySubscriberRequest' || !Number.isNaN(arrived[i]!)) return;
      if (!pushHasIp(p, expectIp)) return;
      arrived[i] = p.receivedAt;
      if (++count === n) onAll?.();
    };
  const waitAll = (timeoutMs: number): Promise<boolean> =>
    count === n
      ? Promise.resolve(true)
      : new Promise((res) => {
          const t = setTimeout(() => {
            onAll = null;
            res(false);
          }, timeoutMs);
          onAll = () => {
            clearTimeout(t);
            onAll = null;
            res(true);
          };
        });

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
  const initialAll = await waitAll(a.roundTimeoutMs);
  const initialPushes = count;
  log(`subscribed in ${subscribeMs.toFixed(0)} ms; initial pushes ${initialPushes}/${n}`);
  emit('subscribed', { connectMs, subscribeMs, initialPushes });

  const rounds: PushRound[] = [];
  for (let r = 1; r <= a.rounds; r++) {
    await new Promise((res) => setTimeout(res, a.pauseMs));
    expectIp = loopbackIp(200, r);
    arrived = new Float64Array(n).fill(NaN);
    count = 0;
    const body = JSON.parse(reg(r)) as object;
    const s0 = a.serverPid !== undefined ? cpuSeconds(a.serverPid) : null;
    const u0 = process.cpuUsage();
    const tSend = performance.now();
    await changer.expectOk('InstanceRequest', body, 'InstanceResponse');
    const tResp = performance.now();
    await waitAll(a.roundTimeoutMs);
    const s1 = a.serverPid !== undefined ? cpuSeconds(a.serverPid) : null;
    const u1 = process.cpuUsage(u0);
    const fromResp: number[] = [];
    const fromSend: number[] = [];
    for (const t of arrived) {
      if (Number.isNaN(t)) continue;
      fromResp.push(t - tResp);
      fromSend.push(t - tSend);
    }
    rounds.push({
      received: fromResp.length,
      missing: n - fromResp.length,
      changeRttMs: tResp - tSend,
      fromResponseMs: summarizeLatencies(fromResp),
      fromSendMs: summarizeLatencies(fromSend),
      serverCpuSec: s0 !== null && s1 !== null ? s1 - s0 : null,
      loadCpuSec: (u1.user + u1.system) / 1e6,
    });
  }
  const result: PushResult = { subscribers: n, connectMs, subscribeMs, initialPushes, initialAll, rounds, streamsClosed: subs.filter((s) => s.streamClosed).length };
  emit('result', result);
  changer.close();
  for (const s of subs) s.close();
});
