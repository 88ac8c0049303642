/**
 * Writes `count` configs of `bytes` bytes each (`<prefix>-<i>`) with `connections` clients, one
 * write in flight per client, then reads one back: Nomen (`ConfigPublishRequest` on the SDK port)
 * or a peer (bench/peers/common.ts `putConfig`). Emits `result` with the write rate; the configs
 * stay (they are persistent), so the orchestrator can measure RSS and a restart afterwards.
 */
import { performance } from 'node:perf_hooks';
import { configContent, configPublishBody, configQueryBody } from '../lib/bodies.js';
import { openConnections } from '../lib/nacos-client.js';
import { emit, hardDeadline, runMain, scriptArgs } from '../lib/script.js';
import { inParallel, type PeerName } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';

interface Args {
  system: 'nomen' | PeerName;
  /** Nomen: the SDK gRPC `host:port`; a peer: its endpoint. */
  target: string;
  count: number;
  bytes: number;
  connections: number;
  prefix: string;
  maxLifetimeMs: number;
}

interface Writer {
  put(i: number): Promise<void>;
  readBack(i: number): Promise<number>;
  close(): Promise<void>;
}

async function nomenWriters(a: Args): Promise<Writer[]> {
  const conns = await openConnections(a.target, a.connections, 16);
  return conns.map((c) => ({
    async put(i) {
      await c.expectOk('ConfigPublishRequest', JSON.parse(configPublishBody(`${a.prefix}-${i}`, configContent(String(i), a.bytes), i)) as object, 'ConfigPublishResponse', 30_000);
    },
    async readBack(i) {
      const r = await c.expectOk('ConfigQueryRequest', JSON.parse(configQueryBody(`${a.prefix}-${i}`)) as object, 'ConfigQueryResponse');
      return typeof r.body.content === 'string' ? Buffer.byteLength(r.body.content) : -1;
    },
    async close() {
      c.close();
    },
  }));
}

async function peerWriters(a: Args, peer: PeerName): Promise<Writer[]> {
  const out: Writer[] = new Array<Writer>(a.connections);
  await inParallel(out, 16, async (_x, k) => {
    const c = await DRIVERS[peer].connect(a.target, k);
    out[k] = {
      put: (i) => c.putConfig(`${a.prefix}-${i}`, Buffer.from(configContent(String(i), a.bytes))),
      readBack: (i) => c.getConfig(`${a.prefix}-${i}`),
      close: () => c.close(),
    };
  });
  return out;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.maxLifetimeMs);
  const writers = a.system === 'nomen' ? await nomenWriters(a) : await peerWriters(a, a.system);
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      writers.map(async (w) => {
        for (let i = next++; i < a.count; i = next++) await w.put(i);
      }),
    );
    const ms = performance.now() - t0;
    const got = await writers[0]!.readBack(a.count - 1);
    if (got !== a.bytes) throw new Error(`config ${a.prefix}-${a.count - 1}: ${got} bytes, expected ${a.bytes}`);
    emit('result', { count: a.count, ms, perSec: a.count / (ms / 1000) });
  } finally {
    await Promise.all(writers.map((w) => w.close()));
  }
});
