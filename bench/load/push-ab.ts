/**
 * Push fan-out A/B (driven by bench/tools/push-ab.ts): the fan-out of push-fanout.ts against two or
 * more servers at once, `subscribers` connections on each, the change rounds alternating between
 * the servers (the order rotating every round), so each pair of rounds is taken seconds apart and
 * sees the same machine. Emits `result` with each server's rounds.
 */
import { loadavg } from 'node:os';
import { loopbackIp, registerBody, subscribeBody } from '../lib/bodies.js';
import { NacosConnection, openConnections, type PushEvent } from '../lib/nacos-client.js';
import { Arrivals, measureRound, type FanoutArgs } from '../lib/fanout.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import type { PushRound } from '../lib/types.js';

interface Target {
  label: string;
  target: string;
  serverPid: number;
}

/** `serverPid` is per target here. */
interface Args extends FanoutArgs {
  targets: Target[];
}

interface Side {
  t: Target;
  changer: NacosConnection;
  subs: NacosConnection[];
  arrivals: Arrivals;
  expectIp: string;
  rounds: PushRound[];
}

const reg = (service: string, r: number): object => JSON.parse(registerBody(service, loopbackIp(200, r), 7000, r + 1)) as object;

async function setUp(a: Args, t: Target): Promise<Side> {
  const changer = new NacosConnection(t.target, { appName: 'bench-changer' });
  await changer.connect();
  await changer.expectOk('InstanceRequest', reg(a.service, 0), 'InstanceResponse');
  const n = a.subscribers;
  const side: Side = { t, changer, subs: [], arrivals: new Arrivals(n), expectIp: loopbackIp(200, 0), rounds: [] };
  const handler =
    (i: number) =>
    (p: PushEvent): void => {
      if (p.type !== 'NotifySubscriberRequest' || side.arrivals.has(i)) return;
      if (!p.raw.includes(`"ip":"${side.expectIp}"`)) return;
      side.arrivals.mark(i, p.receivedAt);
    };
  side.subs = await openConnections(t.target, n, a.connectParallel, (i) => ({ appName: 'bench-sub', onPush: handler(i) }), 300_000);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(a.connectParallel, n) }, async () => {
      while (next < n) {
        const i = next++;
        await side.subs[i]!.expectOk('SubscribeServiceRequest', JSON.parse(subscribeBody(a.service, i + 1)) as object, 'SubscribeServiceResponse', 30_000);
      }
    }),
  );
  await side.arrivals.waitAll(a.roundTimeoutMs);
  log(`${t.label}: ${n} subscribed, initial pushes ${side.arrivals.count}/${n}`);
  return side;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const sides: Side[] = [];
  const loads: number[] = [];
  for (const t of a.targets) sides.push(await setUp(a, t));
  for (let r = 1; r <= a.rounds; r++) {
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(k + r) % sides.length]!;
      await new Promise((res) => setTimeout(res, a.pauseMs));
      s.expectIp = loopbackIp(200, r);
      const body = reg(a.service, r);
      if (s.changer.streamClosed) {
        // Dropped while the other builds' subscribers connected: a new changer (its instance goes with the old one).
        s.changer = new NacosConnection(s.t.target, { appName: 'bench-changer' });
        await s.changer.connect();
      }
      s.rounds.push(await measureRound(s.arrivals, async () => void (await s.changer.expectOk('InstanceRequest', body, 'InstanceResponse')), a.roundTimeoutMs, s.t.serverPid));
      loads.push(loadavg()[0]!);
      log(`round ${r} ${s.t.label}: p99 ${s.rounds.at(-1)!.fromResponseMs.p99.toFixed(0)} ms`);
    }
  }
  emit('result', { loads, sides: sides.map((s) => ({ label: s.t.label, rounds: s.rounds, streamsClosed: s.subs.filter((c) => c.streamClosed).length })) });
  for (const s of sides) {
    s.changer.close();
    for (const c of s.subs) c.close();
  }
});
