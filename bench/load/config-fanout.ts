/**
 * Config change → every listener notified, on Nomen (docs/benchmarks.md "Configuration center"):
 * `subscribers` listeners of one config, and a separate changer connection that publishes a new
 * content (`ConfigPublishRequest`, `configBytes` bytes marked with the round number) `rounds` times.
 * Per round and listener we record when it learnt of the change, relative to the publish's
 * response and to its send. The publisher runs on its own thread (config-publisher.ts), so the
 * publish's round trip is not delayed by this thread reading the notifications.
 *
 *  - grpc: one SDK connection per listener, `ConfigBatchListenRequest` with the current md5; the
 *    arrival is the `ConfigChangeNotifyRequest` push (acked by the client). Like a ZooKeeper watch
 *    event, the push names the key only; a real client re-reads it afterwards.
 *  - http: one keep-alive socket per listener holding a v1 long poll
 *    (`POST /nacos/v1/cs/configs/listener`, `Long-Pulling-Timeout: 30000`); the arrival is the
 *    poll's answer naming the key. The listener then polls again with the new md5 (it knows the
 *    content of each round; a real client reads it first). The polls are sent and read on raw
 *    sockets (bench/lib/raw-long-poll.ts): node:http's client made this one load-generator core,
 *    not the server, the bottleneck of the fan-out.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { configContent, configListenBody, configPublishBody, listeningConfigs } from '../lib/bodies.js';
import { Arrivals, measureRound, type ChangeTimes, type FanoutArgs } from '../lib/fanout.js';
import { openConnections, type NacosConnection, type PushEvent } from '../lib/nacos-client.js';
import { rawPollLoop } from '../lib/raw-long-poll.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import type { PushResult, PushRound } from '../lib/types.js';

interface Args extends FanoutArgs {
  /** gRPC `host:port` (SDK port). */
  target: string;
  /** `http://host:port` of the main port (long polls). */
  baseUrl: string;
  transport: 'grpc' | 'http';
  configBytes: number;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const content = (r: number): string => configContent(String(r), a.configBytes);
  // A worker does not inherit the tsx loader (Node 20): it registers it, then loads the script.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.resolve('./config-publisher.ts'))}); })`;
  const publisher = new Worker(boot, { eval: true, workerData: { target: a.target } });
  const answers: ((m: { error?: string; sentAt?: number; answeredAt?: number }) => void)[] = [];
  publisher.on('message', (m: { error?: string; sentAt?: number; answeredAt?: number }) => answers.shift()?.(m));
  const next = (): Promise<{ error?: string; sentAt?: number; answeredAt?: number }> => new Promise((res) => answers.push(res));
  const started = await next();
  if (started.error) throw new Error(`publisher: ${started.error}`);
  const publish = async (r: number): Promise<ChangeTimes> => {
    const answer = next();
    publisher.postMessage({ round: r, body: JSON.parse(configPublishBody(a.service, content(r), r + 1)) as object });
    const m = await answer;
    if (m.error || m.sentAt === undefined || m.answeredAt === undefined) throw new Error(`publish ${r}: ${m.error ?? 'no times'}`);
    return { sentAt: m.sentAt - performance.timeOrigin, answeredAt: m.answeredAt - performance.timeOrigin };
  };
  await publish(0);

  const n = a.subscribers;
  let round = 0;
  let armed = false;
  let stopped = false;
  const arrivals = new Arrivals(n);
  const arrived = (i: number, at: number): void => {
    if (armed) arrivals.mark(i, at);
  };

  const tConn = performance.now();
  let subs: NacosConnection[] = [];
  let connectMs: number;
  let subscribeMs: number;
  if (a.transport === 'grpc') {
    const onPush = (i: number) => (p: PushEvent) => {
      if (p.type === 'ConfigChangeNotifyRequest') arrived(i, p.receivedAt);
    };
    subs = await openConnections(a.target, n, a.connectParallel, (i) => ({ appName: 'bench-listener', onPush: onPush(i) }), 300_000);
    connectMs = performance.now() - tConn;
    const tSub = performance.now();
    let next = 0;
    const body = JSON.parse(configListenBody(a.service, md5(content(0)))) as object;
    await Promise.all(
      Array.from({ length: Math.min(a.connectParallel, n) }, async () => {
        while (next < n) {
          const i = next++;
          const r = await subs[i]!.expectOk('ConfigBatchListenRequest', body, 'ConfigChangeBatchListenResponse', 30_000);
          const changed = (r.body.changedConfigs as unknown[] | undefined)?.length ?? 0;
          if (changed !== 0) throw new Error(`listener ${i}: listen answered ${changed} changed configs`);
        }
      }),
    );
    subscribeMs = performance.now() - tSub;
  } else {
    connectMs = 0;
    const url = new URL('/nacos/v1/cs/configs/listener', a.baseUrl);
    const tSub = performance.now();
    // Each listener polls with the md5 of the last round it was told of.
    const known = new Array<string>(n).fill(md5(content(0)));
    for (let i = 0; i < n; i++) {
      rawPollLoop({
        host: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        timeoutHeaderMs: 30_000,
        body: () => `Listening-Configs=${encodeURIComponent(listeningConfigs(a.service, known[i]!))}`,
        onAnswer: (at) => {
          if (armed) known[i] = md5(content(round));
          arrived(i, at);
        },
        stopped: () => stopped,
      });
    }
    // The polls are held once the server lists them all (GET .../listener?ip= would be per IP; wait a fixed settle instead).
    await new Promise((res) => setTimeout(res, Math.max(1000, n)));
    subscribeMs = performance.now() - tSub;
  }
  log(`${n} ${a.transport} listeners ready in ${(connectMs + subscribeMs).toFixed(0)} ms`);
  emit('subscribed', { connectMs, subscribeMs, initialPushes: n });

  const rounds: PushRound[] = [];
  for (let r = 1; r <= a.rounds; r++) {
    await new Promise((res) => setTimeout(res, a.pauseMs));
    round = r;
    armed = true;
    rounds.push(await measureRound(arrivals, () => publish(r), a.roundTimeoutMs, a.serverPid));
    armed = false;
  }
  stopped = true;
  const result: PushResult = { subscribers: n, connectMs, subscribeMs, initialPushes: n, initialAll: true, rounds, streamsClosed: subs.filter((s) => s.streamClosed).length };
  emit('result', result);
  await publisher.terminate();
  for (const s of subs) s.close();
});
