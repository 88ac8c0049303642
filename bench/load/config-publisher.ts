/**
 * The publisher of config-fanout.ts, on its own worker thread: the listeners' thread is busy
 * reading 1,000 notifications, and a publish answer read there would be timed when that thread
 * gets to it, not when it arrived. Each message `{ round, body }` is published with
 * `ConfigPublishRequest`; the answer posts back when it was sent and answered, as epoch ms
 * (`performance.timeOrigin + performance.now()`: comparable across threads).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { NacosConnection } from '../lib/nacos-client.js';

const port = parentPort;
if (!port) throw new Error('config-publisher.ts runs as a worker thread');
const { target } = workerData as { target: string };
const epochNow = (): number => performance.timeOrigin + performance.now();
const conn = new NacosConnection(target, { appName: 'bench-changer' });
conn.connect().then(
  () => port.postMessage({ ready: true }),
  (e: unknown) => port.postMessage({ error: String(e) }),
);
port.on('message', (m: { round: number; body: object }) => {
  const sentAt = epochNow();
  conn.expectOk('ConfigPublishRequest', m.body, 'ConfigPublishResponse', 30_000).then(
    () => port.postMessage({ round: m.round, sentAt, answeredAt: epochNow() }),
    (e: unknown) => port.postMessage({ round: m.round, error: String(e) }),
  );
});
port.on('close', () => conn.close());
