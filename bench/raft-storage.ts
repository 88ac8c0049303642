/**
 * DurableRaftStorage micro-benchmark: persist() latency and throughput with small entries, one
 * Ready after another (closed loop, as the host loop does), batches of 1 and of 32 entries, each
 * Ready also carrying a new hard state (commit advances). Baselines: a bare write + fdatasync of
 * the same bytes on a plain file, and the storage with fsync off (CPU cost of the code itself).
 * Also: recovery time of open() on a log of 100,000 entries.
 *
 *   flock /tmp/nomen-bench.lock node --import tsx bench/raft-storage.ts [--dir /path] [--quick]
 *
 * The data directory defaults to a fresh one under the OS temp dir (note which file system it is
 * on: that decides the fsync cost). Results go to stdout as a Markdown table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableRaftStorage, type Entry } from '../src/raft/index.js';
import { summarizeLatencies } from './lib/stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dirArg = args.indexOf('--dir');
const base = mkdtempSync(join(dirArg >= 0 ? args[dirArg + 1]! : tmpdir(), 'nomen-raft-bench-'));
const DATA = 'x'.repeat(100); // a small proposal, about the size of a persistent-instance register
const CONF = { voters: ['127.0.0.1:8848', '127.0.0.2:8848', '127.0.0.3:8848'], learners: [] };

interface Row {
  name: string;
  ops: number;
  entries: number;
  p50: number;
  p99: number;
  max: number;
  opsPerSec: number;
  entriesPerSec: number;
}

function row(name: string, lat: number[], batch: number, wallMs: number): Row {
  const s = summarizeLatencies(lat);
  return { name, ops: lat.length, entries: lat.length * batch, p50: s.p50, p99: s.p99, max: s.max, opsPerSec: (lat.length / wallMs) * 1000, entriesPerSec: ((lat.length * batch) / wallMs) * 1000 };
}

async function persistLoop(name: string, batch: number, ops: number, fsync: boolean): Promise<Row> {
  const dir = join(base, `${name.replace(/\W+/g, '-')}`);
  const st = await DurableRaftStorage.open(dir, { initialConf: CONF, fsync });
  let index = 0;
  const lat: number[] = [];
  const warm = Math.min(50, Math.floor(ops / 10));
  let t0 = 0;
  for (let i = 0; i < ops + warm; i++) {
    if (i === warm) t0 = performance.now();
    const entries: Entry[] = [];
    for (let k = 0; k < batch; k++) entries.push({ index: ++index, term: 1, type: 'normal', data: DATA });
    const t = performance.now();
    await st.persist({ entries, hardState: { term: 1, vote: CONF.voters[0]!, commit: Math.max(0, index - batch) } });
    if (i >= warm) lat.push(performance.now() - t);
  }
  const wall = performance.now() - t0;
  await st.close();
  return row(name, lat, batch, wall);
}

/** The disk alone: write the same number of bytes and fdatasync, one after another. */
async function rawFsync(name: string, bytes: number, ops: number): Promise<Row> {
  const fh = await open(join(base, 'raw.bin'), 'w');
  const buf = Buffer.alloc(bytes, 1);
  let pos = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    await fh.write(buf, 0, buf.length, pos);
    pos += buf.length;
    await fh.datasync();
    lat.push(performance.now() - t);
  }
  const wall = performance.now() - t0;
  await fh.close();
  return row(name, lat, 1, wall);
}

async function recovery(entries: number): Promise<{ entries: number; bytes: number; openMs: number; segments: number }> {
  const dir = join(base, 'recovery');
  const st = await DurableRaftStorage.open(dir, { initialConf: CONF, fsync: false, segmentBytes: 4 * 1024 * 1024 });
  for (let i = 0; i < entries; i += 1000) {
    const batch: Entry[] = [];
    for (let k = 1; k <= 1000; k++) batch.push({ index: i + k, term: 1, type: 'normal', data: DATA });
    await st.persist({ entries: batch, hardState: { term: 1, vote: '', commit: i } });
  }
  const segments = st.segmentFiles().length;
  await st.close();
  const t = performance.now();
  const again = await DurableRaftStorage.open(dir, { fsync: false });
  const openMs = performance.now() - t;
  const last = again.lastIndex();
  await again.close();
  if (last !== entries) throw new Error(`recovered ${last} of ${entries}`);
  return { entries, bytes: entries * (8 + 19 + DATA.length), openMs, segments };
}

const f = (n: number, d = 2): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

try {
  const n1 = quick ? 200 : 2000;
  const n32 = quick ? 100 : 1000;
  const rows: Row[] = [];
  // Record framing per entry: 8 header + 19 fixed + data; plus one hard-state record per Ready.
  const readyBytes = 8 + 19 + DATA.length + 8 + 18 + CONF.voters[0]!.length;
  rows.push(await rawFsync(`bare write + fdatasync of ${readyBytes} B (one entry + hard state)`, readyBytes, n1));
  rows.push(await persistLoop('persist, batch of 1', 1, n1, true));
  rows.push(await persistLoop('persist, batch of 32', 32, n32, true));
  rows.push(await persistLoop('persist, batch of 1, fsync off', 1, n1 * 5, false));
  rows.push(await persistLoop('persist, batch of 32, fsync off', 32, n32 * 2, false));
  const rec = await recovery(quick ? 20_000 : 100_000);
  console.log(`DurableRaftStorage bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, dir ${base}`);
  console.log('');
  console.log('| scenario | Readies | p50 ms | p99 ms | max ms | Readies/s | entries/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.ops} | ${f(r.p50, 3)} | ${f(r.p99, 3)} | ${f(r.max, 2)} | ${f(r.opsPerSec, 0)} | ${f(r.entriesPerSec, 0)} |`);
  console.log('');
  console.log(`open() recovery of ${f(rec.entries, 0)} entries (${f(rec.bytes / 1048576, 1)} MiB in ${rec.segments} segments): ${f(rec.openMs, 0)} ms`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
