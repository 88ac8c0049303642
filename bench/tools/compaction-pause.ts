/**
 * The event-loop pause of building a Raft snapshot image (docs/raft.md "Compaction under load"):
 * fills a KvStateMachine with `n` persistent instance rows as naming stores them (the `instance`
 * table, src/naming/persistent-state.ts, applied through encoded commands like the log's, so the
 * id window is full too), then times `snapshot()` (one synchronous JSON.stringify) against
 * `snapshotSliced()` (slices between setImmediate turns), alternating, `reps` times each. Reports
 * the longest single block (each slice timed, and perf_hooks' event-loop delay as a cross-check),
 * the total time and that both images are identical. Also times the durable storage's encoding
 * of each image to the snapshot file's bytes (encodeSnapshotFile, one synchronous block in both
 * cases: not part of building the image), and the whole compaction write of the image (image →
 * snapshot file durable, fsync on, in the OS temp directory) as it was (encodeSnapshotFile of the
 * image as one rope, one write) against writeSnapshotFileSliced (the slices, a piece per turn):
 * the longest event-loop block of each is the longest gap between two turns of a setImmediate
 * probe that runs throughout. CPU-heavy: keep `n` and `reps` small on a shared machine.
 *
 *   node --import tsx bench/tools/compaction-pause.ts [n=150000] [reps=3]
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodeCommand, KvStateMachine } from '../../src/persistence/kv-state-machine.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRaftFs } from '../../src/raft/disk/fs.js';
import { encodeSnapshotFile, snapshotFileName, writeSnapshotFileSliced } from '../../src/raft/disk/snapshot-file.js';
import type { SnapshotMeta } from '../../src/raft/types.js';

const n = Number(process.argv[2] ?? 150_000);
const reps = Number(process.argv[3] ?? 3);

const sm = new KvStateMachine(50_000);
const services = 500;
for (let i = 0; i < n; i++) {
  const svc = `public@@DEFAULT_GROUP@@bench-service-${i % services}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const port = 8080 + (i % 7);
  const value = {
    instanceId: `${ip}#${port}#DEFAULT#DEFAULT_GROUP@@bench-service-${i % services}`,
    ip,
    port,
    weight: 1,
    healthy: true,
    enabled: true,
    ephemeral: false,
    clusterName: 'DEFAULT',
    metadata: { version: '1.4.2', zone: `zone-${i % 3}`, 'preserved.register.source': 'SPRING_CLOUD' },
  };
  sm.applyData(i + 1, encodeCommand({ id: `bench-${i}-${(i * 2_654_435_761) >>> 0}`, batch: [{ table: 'instance', key: `${svc}##${ip}:${port}`, value }] }));
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function syncRun(): Promise<{ total: number; longest: number; loopMax: number; image: string }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await turn();
  const t0 = performance.now();
  const image = sm.snapshot();
  const t1 = performance.now();
  await turn();
  h.disable();
  return { total: t1 - t0, longest: t1 - t0, loopMax: h.max / 1e6, image };
}

async function slicedRun(): Promise<{ total: number; longest: number; slices: number; loopMax: number; image: string[] }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await turn();
  let longest = 0;
  let slices = 0;
  let mark = performance.now();
  const t0 = mark;
  // Each interval between two yields is one block of the event loop (the first starts at the call).
  const timedTurn = async (): Promise<void> => {
    const now = performance.now();
    longest = Math.max(longest, now - mark);
    slices++;
    await turn();
    mark = performance.now();
  };
  const image = await sm.snapshotSliced(timedTurn);
  const t1 = performance.now();
  longest = Math.max(longest, t1 - mark);
  await turn();
  h.disable();
  return { total: t1 - t0, longest, slices: slices + 1, loopMax: h.max / 1e6, image };
}

const META: SnapshotMeta = { index: 1, term: 1, conf: { voters: ['a'], learners: [] } };
const dir = mkdtempSync(join(tmpdir(), 'nomen-compaction-pause-'));

/** The image file written as before this change: one encoding of the whole image, one write. */
async function writeWhole(image: string): Promise<void> {
  const final = join(dir, snapshotFileName(META.index));
  const f = await nodeRaftFs.open(`${final}.tmp`, 'create');
  try {
    await f.write(encodeSnapshotFile({ meta: META, data: image }), 0);
    await f.sync();
  } finally {
    await f.close();
  }
  await nodeRaftFs.rename(`${final}.tmp`, final);
  await nodeRaftFs.syncDir(dir);
}

/** Runs `write` with a setImmediate probe: the longest gap between two probe turns, and the total time. */
async function probed(write: () => Promise<void>): Promise<{ longest: number; total: number; turns: number }> {
  let running = true;
  let last = performance.now();
  let longest = 0;
  let turns = 0;
  const probe = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    turns++;
    if (running) setImmediate(probe);
  };
  setImmediate(probe);
  await turn();
  const t0 = performance.now();
  await write();
  const total = performance.now() - t0;
  running = false;
  await turn();
  await turn();
  return { longest, total, turns };
}

console.log(`rows ${sm.size()}, node ${process.version}`);
try {
  for (let r = 0; r < reps; r++) {
    const s = await syncRun();
    const t = await slicedRun();
    // What the previous snapshotSliced returned: the slices concatenated with + (a rope).
    let rope = '';
    for (const slice of t.image) rope += slice;
    if (s.image !== rope) throw new Error('the sliced image differs from snapshot()');
    const encode = (image: string): string => {
      const t0 = performance.now();
      encodeSnapshotFile({ meta: META, data: image });
      return (performance.now() - t0).toFixed(1);
    };
    console.log(`rep ${r + 1}: file encoding (storage): sync image ${encode(s.image)} ms`);
    console.log(
      `rep ${r + 1}: image ${(s.image.length / 1e6).toFixed(1)} M chars | sync: block ${s.longest.toFixed(1)} ms (loop delay max ${s.loopMax.toFixed(1)}) | ` +
        `sliced: longest block ${t.longest.toFixed(1)} ms over ${t.slices} blocks, total ${t.total.toFixed(1)} ms (loop delay max ${t.loopMax.toFixed(1)})`,
    );
    const whole = await probed(() => writeWhole(rope));
    const wholeBytes = encodeSnapshotFile({ meta: META, data: s.image });
    const sliced = await probed(() => writeSnapshotFileSliced(nodeRaftFs, dir, META, t.image));
    if (!readFileSync(join(dir, snapshotFileName(META.index))).equals(wholeBytes)) throw new Error('the sliced file differs from encodeSnapshotFile');
    console.log(
      `rep ${r + 1}: compaction write (image → file durable): whole: longest block ${whole.longest.toFixed(1)} ms, total ${whole.total.toFixed(1)} ms | ` +
        `sliced: longest block ${sliced.longest.toFixed(1)} ms over ${sliced.turns} probe turns, total ${sliced.total.toFixed(1)} ms`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
