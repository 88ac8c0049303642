/**
 * Change → notification on a peer registry, the counterpart of push-fanout.ts: `subscribers`
 * watches on one service, spread over `clients` connections (watch i on connection i mod clients),
 * and a separate changer connection that adds a new instance (one request) `rounds` times. Per round and
 * watch we record when its first notification of the change arrived, relative to the moment the
 * changer's register call returned (and to when it was sent).
 */
import { performance } from 'node:perf_hooks';
import { loopbackIp } from '../lib/bodies.js';
import { cpuSeconds } from '../lib/proc.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import { summarizeLatencies } from '../lib/stats.js';
import type { PushResult, PushRound } from '../lib/types.js';
import { inParallel, type PeerConnection, type PeerName } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';

interface Args {
  peer: PeerName;
  endpoint: string;
  service: string;
  subscribers: number;
  clients: number;
  rounds: number;
  connectParallel: number;
  roundTimeoutMs: number;
  pauseMs: number;
  maxLifetimeMs: number;
  serverPid?: number;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const driver = DRIVERS[a.peer];
  const changer = await driver.connect(a.endpoint, 1_000_000);
  await changer.prepareServices([a.service]);
  // Grants the changer's lease (etcd) outside the measured changes.
  await changer.change(a.service, { ip: '127.254.254.254', port: 1 });
  const port = 10_000 + Math.floor(Math.random() * 50_000);
  const hostOf = (r: number): { ip: string; port: number } => ({ ip: loopbackIp(200, r), port });

  const n = a.subscribers;
  let expect = `${hostOf(0).ip}:${port}`;
  let armed = false;
  let arrived = new Float64Array(n).fill(NaN);
  let count = 0;
  let onAll: (() => void) | null = null;
  const handler =
    (i: number) =>
    (key: string | null, at: number): void => {
      if (!armed || !Number.isNaN(arrived[i]!)) return;
      if (key !== null && !key.endsWith(expect)) return;
      arrived[i] = at;
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
    await conns[i % clients]!.watch(a.service, handler(i));
  });
  const subscribeMs = performance.now() - tSub;
  log(`${n} watches in ${subscribeMs.toFixed(0)} ms`);
  emit('subscribed', { connectMs, subscribeMs, initialPushes: n });

  const rounds: PushRound[] = [];
  for (let r = 1; r <= a.rounds; r++) {
    await new Promise((res) => setTimeout(res, a.pauseMs));
    const h = hostOf(r);
    expect = `${h.ip}:${h.port}`;
    arrived = new Float64Array(n).fill(NaN);
    count = 0;
    armed = true;
    const s0 = a.serverPid !== undefined ? cpuSeconds(a.serverPid) : null;
    const u0 = process.cpuUsage();
    const tSend = performance.now();
    await changer.change(a.service, h);
    const tResp = performance.now();
    await waitAll(a.roundTimeoutMs);
    armed = false;
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
  const result: PushResult = { subscribers: n, connectMs, subscribeMs, initialPushes: n, initialAll: true, rounds, streamsClosed: 0 };
  emit('result', result);
  await Promise.all([changer, ...conns].map((c) => c.close()));
});
