/**
 * The leader's event-loop block when it sends a snapshot (docs/raft.md "Snapshot transfer"): a
 * durable storage holds a snapshot of `n` persistent instance rows (as naming stores them); then,
 * alternating, `reps` times each:
 *   - eager: `snapshot()` reads and decodes the file to a string, and the link encodes it back to
 *     UTF-8 for compression (`Buffer.from`): both synchronous;
 *   - lazy (`lazySnapshotImages`): `snapshot()` hands out the image-less snapshot and
 *     `snapshotImageBytes()` reads the file on the thread pool and checksums it a slice per turn.
 * Reports the whole time and the longest event-loop block (the longest gap between two turns of a
 * setImmediate probe running throughout), and checks both give the same bytes.
 *
 *   node --import tsx bench/tools/snapshot-read.ts [n=100000] [reps=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeCommand, KvStateMachine } from '../../src/persistence/kv-state-machine.js';
import { DurableRaftStorage } from '../../src/raft/durable-storage.js';

const n = Number(process.argv[2] ?? 100_000);
const reps = Number(process.argv[3] ?? 3);

const sm = new KvStateMachine(50_000);
for (let i = 0; i < n; i++) {
  const svc = `public@@DEFAULT_GROUP@@bench-service-${i % 500}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const value = { instanceId: `${ip}#8080#DEFAULT#DEFAULT_GROUP@@bench-service-${i % 500}`, ip, port: 8080, weight: 1, healthy: true, enabled: true, ephemeral: false, clusterName: 'DEFAULT', metadata: { version: '1.4.2', zone: `zone-${i % 3}` } };
  sm.applyData(i + 1, encodeCommand({ id: `bench-${i}-${(i * 2_654_435_761) >>> 0}`, batch: [{ table: 'instance', key: `${svc}##${ip}:8080`, value }] }));
}
const conf = { voters: ['a', 'b', 'c'], learners: [] };
const root = mkdtempSync(join(tmpdir(), 'nomen-snapshot-read-'));
const dir = join(root, 'raft');
const setup = await DurableRaftStorage.open(dir, { initialConf: conf });
await setup.persist({ entries: [{ index: 1, term: 1, type: 'normal', data: '' }], hardState: { term: 1, vote: 'a', commit: 1 } });
await setup.compact(1, await sm.snapshotSliced(() => new Promise((r) => setImmediate(r))), conf);
await setup.close();
const eager = await DurableRaftStorage.open(dir, { initialConf: conf });
const lazy = await DurableRaftStorage.open(dir, { initialConf: conf, lazySnapshotImages: true });
eager.snapshot(); // the restore's call hands out the image decoded at open
lazy.snapshot();

/** Runs `fn` with a setImmediate probe; the longest gap between two probe turns is the longest block. */
async function probe(fn: () => Promise<Buffer>): Promise<{ ms: number; blockMs: number; out: Buffer }> {
  let last = performance.now();
  let worst = 0;
  let on = true;
  const tick = (): void => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  await new Promise((r) => setImmediate(r));
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  on = false;
  await new Promise((r) => setImmediate(r));
  worst = Math.max(worst, performance.now() - last);
  return { ms, blockMs: worst, out };
}

console.log(`${n} rows; image ${(Buffer.byteLength(eager.snapshot().data) / 1e6).toFixed(1)} MB; Node ${process.version}`);
for (let r = 0; r < reps; r++) {
  for (const mode of r % 2 === 0 ? ['eager', 'lazy'] : ['lazy', 'eager']) {
    const res =
      mode === 'eager'
        ? await probe(async () => Buffer.from(eager.snapshot().data, 'utf8'))
        : await probe(async () => {
            const s = lazy.snapshot();
            return lazy.snapshotImageBytes(s.meta.index);
          });
    console.log(`${mode.padEnd(5)} total ${res.ms.toFixed(1)} ms, longest block ${res.blockMs.toFixed(1)} ms, ${res.out.length} bytes`);
  }
}
const a = Buffer.from(eager.snapshot().data, 'utf8');
const b = await lazy.snapshotImageBytes(lazy.snapshot().meta.index);
console.log(`same bytes: ${a.equals(b)}`);
await eager.close();
await lazy.close();
rmSync(root, { recursive: true, force: true });
