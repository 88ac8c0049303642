import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, describe, test } from 'node:test';
import {
  CompactedError,
  DurableRaftStorage,
  MemoryRaftStorage,
  RaftStorageCorruptError,
  SnapshotUnavailableError,
  UnavailableError,
  type ConfState,
  type DurableRaftStorageOptions,
  type Entry,
  type HardState,
  type RaftStorage,
  type Snapshot,
} from '../../src/raft/index.js';
import { nodeRaftFs, type RaftFs } from '../../src/raft/disk/fs.js';
import { readSnapshotImageBytes, snapshotFileName } from '../../src/raft/disk/snapshot-file.js';
import { encodeEntry, encodeHardState, KIND_HARD } from '../../src/raft/disk/record-codec.js';
import { Rng } from '../sim/prng.js';

const root = mkdtempSync(join(tmpdir(), 'nomen-raft-storage-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirSeq = 0;
function freshDir(): string {
  return join(root, `s${++dirSeq}`, 'raft');
}

const CONF: ConfState = { voters: ['n1', 'n2', 'n3'], learners: [] };
const FAST: DurableRaftStorageOptions = { initialConf: CONF, fsync: false };

function ent(index: number, term: number, data = `d${index}t${term}`, type: Entry['type'] = 'normal'): Entry {
  return { index, term, type, data };
}

function range(lo: number, hi: number, term: number): Entry[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => ent(lo + i, term));
}

function hs(term: number, commit: number, vote = ''): HardState {
  return { term, vote, commit };
}

/** Everything the read side answers, including which errors it throws at the edges. */
function view(s: RaftStorage & { hardState(): HardState }): unknown {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const probe = (f: () => unknown): unknown => {
    try {
      return f();
    } catch (e) {
      if (e instanceof CompactedError) return 'compacted';
      if (e instanceof UnavailableError) return 'unavailable';
      throw e;
    }
  };
  const terms: unknown[] = [];
  for (let i = first - 2; i <= last + 1; i++) terms.push(probe(() => s.term(i)));
  return {
    first,
    last,
    initial: s.initialState(),
    hard: s.hardState(),
    snapshot: s.snapshot(),
    entries: last >= first ? s.entries(first, last + 1) : [],
    terms,
    below: probe(() => s.entries(first - 1, last + 1)),
    beyond: probe(() => s.entries(first, last + 2)),
  };
}

async function reopen(s: DurableRaftStorage, dir: string, opts: DurableRaftStorageOptions = FAST): Promise<DurableRaftStorage> {
  await s.close();
  return DurableRaftStorage.open(dir, opts);
}

function lastSegment(dir: string): string {
  const names = readdirSync(join(dir, 'log')).filter((n) => n.endsWith('.seg')).sort();
  return join(dir, 'log', names.at(-1)!);
}

describe('DurableRaftStorage', () => {
  test('a new store starts empty with the initial configuration and survives reopening (fsync on)', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, { initialConf: CONF });
    assert.deepEqual(s.initialState(), { hardState: hs(0, 0), confState: CONF });
    assert.equal(s.firstIndex(), 1);
    assert.equal(s.lastIndex(), 0);
    assert.equal(s.term(0), 0);
    await s.persist({ entries: [ent(1, 1), ent(2, 1, '', 'normal'), ent(3, 1, JSON.stringify({ type: 'addLearner', node: 'n4' }), 'conf')], hardState: hs(1, 2, 'n1') });
    const before = view(s);
    s = await reopen(s, dir, { initialConf: { voters: ['other'], learners: [] } });
    assert.deepEqual(view(s), before, 'a later initialConf does not override the stored membership');
    assert.equal(s.tornTail, null);
    assert.deepEqual(s.entries(3, 4)[0], ent(3, 1, JSON.stringify({ type: 'addLearner', node: 'n4' }), 'conf'));
    await s.close();
  });

  test('a catch-up target survives reopening; a hard state without one keeps the old record layout (docs/raft.md "Lost disks")', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    assert.equal(encodeHardState(hs(1, 2, 'n1'))[8], KIND_HARD, 'members that never lost a disk write what older releases read');
    assert.equal(encodeHardState({ ...hs(1, 2, 'n1'), catchUp: 0 })[8], KIND_HARD);
    await s.persist({ entries: range(1, 3, 2), hardState: { ...hs(2, 1, 'n1'), catchUp: 58 } });
    s = await reopen(s, dir);
    assert.deepEqual(s.initialState().hardState, { ...hs(2, 1, 'n1'), catchUp: 58 });
    await s.persist({ entries: [], hardState: { ...hs(2, 3, 'n1'), catchUp: 58 } }); // commit moves, target kept
    s = await reopen(s, dir);
    assert.equal(s.hardState().catchUp, 58);
    assert.equal(s.hardState().commit, 3);
    await s.persist({ entries: [], hardState: hs(2, 3, 'n1') }); // the target lapsed
    s = await reopen(s, dir);
    assert.deepEqual(s.hardState(), hs(2, 3, 'n1'));
    await assert.rejects(s.persist({ entries: [], hardState: { ...hs(2, 3), catchUp: -1 } }), RangeError);
    await s.close();
  });

  test('lazySnapshotImages: the restore gets the image, a sender gets it as bytes read off the event loop (docs/raft.md "Snapshot transfer")', async () => {
    const dir = freshDir();
    const LAZY: DurableRaftStorageOptions = { ...FAST, lazySnapshotImages: true };
    let s = await DurableRaftStorage.open(dir, LAZY);
    await s.persist({ entries: range(1, 5, 1), hardState: hs(1, 5) });
    const image = JSON.stringify({ rows: Array.from({ length: 3000 }, (_, i) => `名前-é-🚀-${i}`) });
    await s.compact(4, image, CONF);
    s = await reopen(s, dir, LAZY);
    assert.equal(s.snapshot().data, image, 'the first call (the restore at open) gets the image');
    const lazy = s.snapshot();
    assert.deepEqual(lazy, { meta: { index: 4, term: 1, conf: CONF }, data: '', imageInStorage: true });
    assert.deepEqual(await s.snapshotImageBytes(4), Buffer.from(image, 'utf8'));
    await assert.rejects(s.snapshotImageBytes(3), SnapshotUnavailableError, 'not the newest snapshot');
    // an image with a lone surrogate (stored as UTF-16): the bytes Buffer.from gives for it
    await s.compact(5, 'lone \ud800 surrogate', CONF);
    assert.deepEqual(await s.snapshotImageBytes(5), Buffer.from('lone \ud800 surrogate', 'utf8'));
    await assert.rejects(s.snapshotImageBytes(4), SnapshotUnavailableError, 'replaced by a newer snapshot');
    // without the option, snapshot() reads the image as before
    s = await reopen(s, dir);
    s.snapshot();
    assert.equal(s.snapshot().data, 'lone \ud800 surrogate');
    await s.close();
  });

  test('readSnapshotImageBytes: the file\'s bytes checksummed a slice per turn; any damage is a corrupt-file error', async () => {
    const dir = freshDir();
    const s = await DurableRaftStorage.open(dir, FAST);
    await s.persist({ entries: range(1, 3, 1), hardState: hs(1, 3) });
    const image = 'ü'.repeat(5000) + 'x'.repeat(7001);
    await s.compact(3, image, CONF);
    await s.close();
    const snapDir = join(dir, 'snapshot');
    let turns = 0;
    const bytes = await readSnapshotImageBytes(nodeRaftFs, snapDir, 3, async () => void turns++, 1000);
    assert.deepEqual(bytes, Buffer.from(image, 'utf8'));
    assert.equal(turns, Math.ceil((Buffer.byteLength(image) + 2) / 1000) - 1, 'a turn between slices');
    const file = join(snapDir, snapshotFileName(3));
    const good = readFileSync(file);
    for (const at of [3, 20, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x40;
      writeFileSync(file, bad);
      await assert.rejects(readSnapshotImageBytes(nodeRaftFs, snapDir, 3), RaftStorageCorruptError, `byte ${at} flipped`);
    }
    writeFileSync(file, good.subarray(0, good.length - 1));
    await assert.rejects(readSnapshotImageBytes(nodeRaftFs, snapDir, 3), RaftStorageCorruptError, 'truncated');
    writeFileSync(file, Buffer.concat([good, Buffer.from([0])]));
    await assert.rejects(readSnapshotImageBytes(nodeRaftFs, snapDir, 3), RaftStorageCorruptError, 'trailing bytes');
    writeFileSync(join(snapDir, snapshotFileName(9)), good);
    await assert.rejects(readSnapshotImageBytes(nodeRaftFs, snapDir, 9), RaftStorageCorruptError, 'the name and the content disagree');
    await assert.rejects(readSnapshotImageBytes(nodeRaftFs, snapDir, 7), /ENOENT/);
  });

  test('odd strings round-trip exactly (unicode, lone surrogates, empty, large)', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    const datas = ['', 'héllo 名前 🚀', '\ud800 lone high', 'lone low \udc00', 'x'.repeat(200_000), '\u0000nul'];
    await s.persist({ entries: datas.map((d, i) => ent(i + 1, 1, d)), hardState: { term: 1, vote: 'nödé-\ud83d', commit: 0 } });
    s = await reopen(s, dir);
    assert.deepEqual(
      s.entries(1, datas.length + 1).map((e) => e.data),
      datas,
    );
    assert.equal(s.hardState().vote, 'nödé-\ud83d');
    await s.compact(3, '\udfff snapshot \u{1F600}', CONF);
    s = await reopen(s, dir);
    assert.equal(s.snapshot().data, '\udfff snapshot \u{1F600}');
    await s.close();
  });

  test('a conflicting suffix is truncated, durably', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    await s.persist({ entries: range(1, 10, 1), hardState: hs(1, 3) });
    await s.persist({ entries: [ent(6, 2), ent(7, 2)], hardState: hs(2, 5) });
    assert.equal(s.lastIndex(), 7);
    assert.equal(s.term(6), 2);
    s = await reopen(s, dir);
    assert.equal(s.lastIndex(), 7);
    assert.deepEqual(s.entries(5, 8), [ent(5, 1), ent(6, 2), ent(7, 2)]);
    assert.deepEqual(s.hardState(), hs(2, 5));
    // Rewrite again further back, then extend.
    await s.persist({ entries: [ent(4, 3)], hardState: hs(3, 3) });
    await s.persist({ entries: range(5, 12, 3) });
    s = await reopen(s, dir);
    assert.equal(s.lastIndex(), 12);
    assert.deepEqual(
      s.entries(1, 13).map((e) => e.term),
      [1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    );
    await s.close();
  });

  test('compaction writes one snapshot file, deletes old segments, and recovers the rest', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, { ...FAST, segmentBytes: 200 });
    for (let i = 1; i <= 40; i++) await s.persist({ entries: [ent(i, 1)], hardState: hs(1, i - 1, 'n2') });
    const segsBefore = s.segmentFiles().length;
    assert.ok(segsBefore > 5, `several segments (${segsBefore})`);
    await s.compact(30, 'image@30', { voters: ['n1', 'n2'], learners: ['n3'] });
    assert.ok(s.segmentFiles().length < segsBefore, 'old segments deleted');
    for (const f of readdirSync(join(dir, 'log'))) assert.ok(s.segmentFiles().includes(join(dir, 'log', f)), `${f} is still tracked`);
    assert.deepEqual(readdirSync(join(dir, 'snapshot')), ['00000000000000000030.snap']);
    const before = view(s);
    s = await reopen(s, dir);
    assert.deepEqual(view(s), before);
    assert.equal(s.firstIndex(), 31);
    assert.deepEqual(s.snapshot(), { meta: { index: 30, term: 1, conf: { voters: ['n1', 'n2'], learners: ['n3'] } }, data: 'image@30' });
    assert.deepEqual(s.hardState(), hs(1, 39, 'n2'), 'the hard state survives the deletion of the segments that held it');
    // Compacting at or below the snapshot is a no-op; past the end is an error.
    await s.compact(20, 'ignored', CONF);
    await assert.rejects(s.compact(41, 'x', CONF), UnavailableError);
    await s.compact(40, 'image@40', CONF);
    assert.deepEqual(readdirSync(join(dir, 'snapshot')), ['00000000000000000040.snap']);
    s = await reopen(s, dir);
    assert.equal(s.firstIndex(), 41);
    assert.equal(s.lastIndex(), 40);
    assert.equal(s.term(40), 1);
    await s.persist({ entries: [ent(41, 2)] });
    s = await reopen(s, dir);
    assert.deepEqual(s.entries(41, 42), [ent(41, 2)]);
    await s.close();
  });

  test('the snapshot image is not held in memory: handed out once after open, then read from its file', async () => {
    const dir = freshDir();
    let syncReads = 0;
    const counting: RaftFs = { ...nodeRaftFs, readFileSync: (p) => (syncReads++, nodeRaftFs.readFileSync!(p)) };
    let s = await DurableRaftStorage.open(dir, { ...FAST, fs: counting });
    for (let i = 1; i <= 5; i++) await s.persist({ entries: [ent(i, 1)], hardState: hs(1, i) });
    assert.equal(s.snapshot().data, '', 'index-0 snapshot: no image, no read');
    await s.compact(4, 'image@4', CONF);
    assert.equal(syncReads, 0);
    assert.deepEqual(s.snapshot(), { meta: { index: 4, term: 1, conf: CONF }, data: 'image@4' });
    assert.equal(syncReads, 1, 'after a compaction the image comes from the file');
    s = await reopen(s, dir, { ...FAST, fs: counting });
    assert.equal(s.firstIndex() - 1, 4);
    assert.equal(s.snapshot().data, 'image@4', 'the image decoded at open is handed out once (the restore)');
    assert.equal(syncReads, 1);
    assert.equal(s.snapshot().data, 'image@4', 'then read from the file (a follower that needs the snapshot)');
    assert.equal(syncReads, 2);
    const leader: Snapshot = { meta: { index: 9, term: 2, conf: CONF }, data: 'image@9' };
    await s.persist({ snapshot: leader, entries: [] });
    assert.deepEqual(s.snapshot(), leader);
    assert.equal(syncReads, 3);
    await s.close();
    // An image that cannot be read is reported as temporarily unavailable (the leader retries later).
    s = await DurableRaftStorage.open(dir, { ...FAST, fs: { ...nodeRaftFs, readFileSync: () => { throw new Error('EIO'); } } });
    assert.equal(s.snapshot().data, 'image@9', 'the image held from open needs no read');
    assert.throws(() => s.snapshot(), (e: unknown) => e instanceof SnapshotUnavailableError && /EIO/.test(e.message));
    await s.close();
    // A file system without synchronous reads: the image stays in memory.
    const { readFileSync: _omit, ...asyncOnly } = nodeRaftFs;
    s = await DurableRaftStorage.open(dir, { ...FAST, fs: asyncOnly });
    assert.equal(s.snapshot().data, 'image@9');
    assert.equal(s.snapshot().data, 'image@9');
    await s.close();
  });

  test('entries the snapshot covers are skipped at open without decoding their data', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    for (let i = 1; i <= 6; i++) await s.persist({ entries: [ent(i, 1)], hardState: hs(1, i) });
    await s.compact(5, 'image@5', CONF);
    await s.close();
    // Entry 3 (covered) rewritten with an undecodable string encoding but a valid checksum.
    const seg = lastSegment(dir);
    const good = encodeEntry(ent(3, 1));
    const full = readFileSync(seg);
    const at = full.indexOf(good);
    assert.ok(at > 0);
    const bad = Buffer.from(good);
    bad[8 + 2] = 9; // encoding byte of the payload
    bad.writeUInt32LE(crc32(bad.subarray(8), crc32(bad.subarray(0, 4))), 4);
    writeFileSync(seg, Buffer.concat([full.subarray(0, at), bad, full.subarray(at + good.length)]));
    s = await DurableRaftStorage.open(dir, FAST);
    assert.deepEqual(s.entries(6, 7), [ent(6, 1)]);
    await s.close();
  });

  test('a snapshot from the leader replaces the log, also after reopening', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, { ...FAST, segmentBytes: 150 });
    await s.persist({ entries: range(1, 20, 1), hardState: hs(1, 5) });
    // A snapshot alone: the entries after it in the old log are gone too.
    await s.persist({ snapshot: { meta: { index: 10, term: 2, conf: CONF }, data: 'ten' }, entries: [] });
    s = await reopen(s, dir, { ...FAST, segmentBytes: 150 });
    assert.deepEqual([s.firstIndex(), s.lastIndex(), s.term(10), s.snapshot().data], [11, 10, 2, 'ten']);
    const snap: Snapshot = { meta: { index: 12, term: 3, conf: { voters: ['n1'], learners: [] } }, data: 'leader image' };
    // Snapshot + entries after it + hard state in one batch.
    await s.persist({ snapshot: snap, entries: [ent(13, 3), ent(14, 3)], hardState: hs(3, 12, 'n1') });
    const mem = new MemoryRaftStorage(CONF);
    mem.append(range(1, 20, 1));
    mem.applySnapshot({ meta: { index: 10, term: 2, conf: CONF }, data: 'ten' });
    mem.setHardState(hs(1, 5));
    mem.applySnapshot(snap);
    mem.append([ent(13, 3), ent(14, 3)]);
    mem.setHardState(hs(3, 12, 'n1'));
    assert.deepEqual(view(s), view(mem));
    s = await reopen(s, dir);
    assert.deepEqual(view(s), view(mem), 'entries 13..20 of the old log do not come back');
    // An older snapshot is ignored, like MemoryRaftStorage does.
    await s.persist({ snapshot: { meta: { index: 5, term: 1, conf: CONF }, data: 'old' }, entries: [] });
    assert.equal(s.snapshot().data, 'leader image');
    // A snapshot beyond the end of the log.
    await s.persist({ snapshot: { meta: { index: 100, term: 4, conf: CONF }, data: 'far' }, entries: [], hardState: hs(4, 100) });
    s = await reopen(s, dir);
    assert.equal(s.firstIndex(), 101);
    assert.equal(s.lastIndex(), 100);
    assert.equal(s.term(100), 4);
    assert.deepEqual(readdirSync(join(dir, 'snapshot')), ['00000000000000000100.snap']);
    await s.close();
  });

  test('segments roll over at segmentBytes; each starts with the hard state', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, { ...FAST, segmentBytes: 100 });
    for (let i = 1; i <= 30; i++) await s.persist({ entries: [ent(i, 1, 'p'.repeat(20))], hardState: hs(1, i, 'n3') });
    const segs = s.segmentFiles();
    assert.ok(segs.length >= 10, `${segs.length} segments`);
    for (const f of segs.slice(0, -1)) assert.ok(statSync(f).size >= 100 && statSync(f).size < 200, `${f}: ${statSync(f).size} bytes`);
    for (const f of segs) assert.equal(readFileSync(f)[8], 2, `${f} starts with a hard-state record`);
    s = await reopen(s, dir, { ...FAST, segmentBytes: 100 });
    assert.equal(s.lastIndex(), 30);
    assert.deepEqual(s.hardState(), hs(1, 30, 'n3'));
    await s.close();
  });

  test('with fsync on, each persist of the log is one O_DSYNC write (no separate fdatasync), also across a rollover', async () => {
    // docs/benchmarks.md "Raft write path": one thread-pool job per append instead of write + fdatasync.
    const calls: string[] = [];
    const counting: RaftFs = {
      ...nodeRaftFs,
      async open(path, mode, opts) {
        const f = await nodeRaftFs.open(path, mode, opts);
        const name = path.endsWith('.seg') ? 'seg' : 'other';
        return {
          write: (d, p) => (calls.push(`${name}:write`), f.write(d, p)),
          sync: () => (calls.push(`${name}:sync`), f.sync()),
          ...(f.writeSynced ? { writeSynced: (d: Buffer, p: number) => (calls.push(`${name}:writeSynced`), f.writeSynced!(d, p)) } : {}),
          truncate: (l) => f.truncate(l),
          close: () => f.close(),
        };
      },
    };
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, { initialConf: CONF, fs: counting, segmentBytes: 200 });
    calls.length = 0;
    for (let i = 1; i <= 12; i++) await s.persist({ entries: [ent(i, 1, 'q'.repeat(30))], hardState: hs(1, i, 'n2') });
    assert.ok(s.segmentFiles().length >= 3, 'rolled over');
    assert.deepEqual(new Set(calls), new Set(['seg:writeSynced']), calls.join(' '));
    assert.equal(calls.length, 12);
    s = await reopen(s, dir, { initialConf: CONF, fs: counting });
    assert.equal(s.lastIndex(), 12);
    assert.deepEqual(s.hardState(), hs(1, 12, 'n2'));
    await s.close();
  });

  test('an invalid batch is rejected before anything is written', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    await s.persist({ entries: range(1, 3, 1) });
    const seg = lastSegment(dir);
    const size = statSync(seg).size;
    await assert.rejects(s.persist({ entries: [ent(5, 1)], hardState: hs(9, 9) }), /gap/);
    await assert.rejects(s.persist({ entries: [ent(4, 1), ent(6, 1)] }), /contiguous/);
    await assert.rejects(s.persist({ entries: [ent(4, -1)] }), RangeError);
    await assert.rejects(s.persist({ entries: [], hardState: hs(1.5, 0) }), RangeError);
    assert.equal(statSync(seg).size, size);
    assert.deepEqual(s.hardState(), hs(0, 0));
    await s.persist({ entries: [ent(4, 1)] }); // still usable
    s = await reopen(s, dir);
    assert.equal(s.lastIndex(), 4);
    await s.close();
    await assert.rejects(s.persist({ entries: [] }), /closed/);
  });

  test('persist calls issued together are applied in order', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    const all = [s.persist({ entries: range(1, 5, 1) }), s.persist({ entries: [ent(3, 2)], hardState: hs(2, 1) }), s.compact(2, 'img', CONF), s.persist({ entries: range(4, 6, 2) })];
    await Promise.all(all);
    s = await reopen(s, dir);
    assert.equal(s.firstIndex(), 3);
    assert.deepEqual(
      s.entries(3, 7).map((e) => e.term),
      [2, 2, 2, 2],
    );
    await s.close();
  });

  test('a torn tail at every byte offset of the last record recovers to the previous record', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    await s.persist({ entries: range(1, 3, 1), hardState: hs(1, 2) });
    await s.close();
    const seg = lastSegment(dir);
    const good = readFileSync(seg);
    s = await DurableRaftStorage.open(dir, FAST);
    const expected = view(s);
    // The last write: one entry record and one hard-state record.
    await s.persist({ entries: [ent(4, 2, 'the last one')], hardState: hs(2, 3) });
    await s.close();
    const full = readFileSync(seg);
    assert.ok(full.length > good.length);
    for (let cut = good.length; cut < full.length; cut++) {
      writeFileSync(seg, full.subarray(0, cut));
      const r = await DurableRaftStorage.open(dir, FAST);
      const v = view(r) as { last: number; hard: HardState };
      // Cutting inside the hard-state record keeps the (complete) entry record before it.
      const entryEnd = good.length + (full.length - good.length) - (8 + 18);
      if (cut < entryEnd) assert.deepEqual(v, expected, `cut at ${cut}`);
      else assert.deepEqual([v.last, v.hard], [4, hs(1, 2)], `cut at ${cut}`);
      assert.deepEqual(r.tornTail === null ? null : r.tornTail.offset, cut === good.length || cut === entryEnd ? null : cut < entryEnd ? good.length : entryEnd, `cut at ${cut}`);
      await r.close();
      assert.equal(statSync(seg).size, cut < entryEnd ? good.length : entryEnd, `the torn bytes are gone (cut at ${cut})`);
    }
  });

  test('zeros after the last record are free space; a bad checksum in the last record is a torn tail', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    await s.persist({ entries: range(1, 3, 1), hardState: hs(1, 2) });
    const expected = view(s);
    await s.persist({ entries: [ent(4, 1)] });
    await s.close();
    const seg = lastSegment(dir);
    const full = readFileSync(seg);
    writeFileSync(seg, Buffer.concat([full, Buffer.alloc(4096)]));
    s = await DurableRaftStorage.open(dir, FAST);
    assert.equal(s.lastIndex(), 4, 'the record before the zeros is kept');
    assert.equal(s.tornTail, null, 'zeros (a size extended before the data, or preallocated space) are not a torn write');
    // The next append goes right after the last record, over the zeros.
    await s.persist({ entries: [ent(5, 1)] });
    await s.close();
    s = await DurableRaftStorage.open(dir, FAST);
    assert.equal(s.lastIndex(), 5);
    assert.equal(s.entries(5, 6)[0]!.data, 'd5t1');
    await s.close();
    writeFileSync(seg, full);
    for (const at of [full.length - 1, full.length - 20, full.length - 30]) {
      const bad = Buffer.from(full);
      bad[at]! ^= 0x10;
      writeFileSync(seg, bad);
      s = await DurableRaftStorage.open(dir, FAST);
      assert.deepEqual(view(s), expected, `flip at ${at}`);
      await s.close();
    }
  });

  test('a corrupt record followed by valid data refuses to start, naming file and offset', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    for (let i = 1; i <= 5; i++) await s.persist({ entries: [ent(i, 1)], hardState: hs(1, i - 1) });
    await s.close();
    const seg = lastSegment(dir);
    const full = readFileSync(seg);
    // Flip one bit in each byte of the middle of the file, including length and checksum fields.
    for (let at = 0; at < full.length - 80; at += 7) {
      const bad = Buffer.from(full);
      bad[at]! ^= 0x04;
      writeFileSync(seg, bad);
      await assert.rejects(DurableRaftStorage.open(dir, FAST), (e: unknown) => {
        assert.ok(e instanceof RaftStorageCorruptError, String(e));
        assert.equal(e.file, seg);
        assert.ok(e.offset <= at, `offset ${e.offset} at or before the flipped byte ${at}`);
        assert.match(e.message, /valid records follow/);
        return true;
      });
    }
    writeFileSync(seg, full);
    s = await DurableRaftStorage.open(dir, FAST);
    assert.equal(s.lastIndex(), 5);
    await s.close();
  });

  test('damage in a segment that is not the last one refuses to start, even at its end', async () => {
    const dir = freshDir();
    const s = await DurableRaftStorage.open(dir, { ...FAST, segmentBytes: 120 });
    for (let i = 1; i <= 12; i++) await s.persist({ entries: [ent(i, 1)] });
    const segs = s.segmentFiles();
    await s.close();
    assert.ok(segs.length >= 3);
    const victim = segs[1]!;
    const full = readFileSync(victim);
    truncateSync(victim, full.length - 3);
    await assert.rejects(DurableRaftStorage.open(dir, FAST), (e: unknown) => e instanceof RaftStorageCorruptError && e.file === victim && /not the last/.test(e.message));
    writeFileSync(victim, full);
    rmSync(segs[1]!);
    await assert.rejects(DurableRaftStorage.open(dir, FAST), (e: unknown) => e instanceof RaftStorageCorruptError && /gap/.test(e.message), 'a missing segment shows as a gap');
  });

  test('snapshot files: corruption is an error, temp files and older snapshots are removed', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, FAST);
    await s.persist({ entries: range(1, 10, 1) });
    await s.compact(4, 'four', CONF);
    await s.close();
    const snapDir = join(dir, 'snapshot');
    const file = join(snapDir, '00000000000000000004.snap');
    // Leftovers of an interrupted compaction: a temp file and an older snapshot that was not removed.
    writeFileSync(join(snapDir, '00000000000000000007.snap.tmp'), 'half written');
    writeFileSync(join(snapDir, '00000000000000000002.snap'), 'stale');
    s = await DurableRaftStorage.open(dir, FAST);
    assert.equal(s.snapshot().data, 'four');
    assert.deepEqual(readdirSync(snapDir), ['00000000000000000004.snap']);
    await s.close();
    const good = readFileSync(file);
    for (const at of [0, 9, 12, 30, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      writeFileSync(file, bad);
      await assert.rejects(DurableRaftStorage.open(dir, FAST), (e: unknown) => e instanceof RaftStorageCorruptError && e.file === file, `flip at ${at}`);
    }
    writeFileSync(file, good.subarray(0, good.length - 2));
    await assert.rejects(DurableRaftStorage.open(dir, FAST), RaftStorageCorruptError);
    rmSync(file);
    await assert.rejects(DurableRaftStorage.open(dir, FAST), /no snapshot file/);
  });

  test('an empty or torn first record of the newest segment is repaired with the hard state', async () => {
    const dir = freshDir();
    let s = await DurableRaftStorage.open(dir, { ...FAST, segmentBytes: 60 });
    await s.persist({ entries: range(1, 3, 1), hardState: hs(1, 3, 'n1') });
    await s.persist({ entries: [ent(4, 1)] }); // rolls over
    const segs = s.segmentFiles();
    await s.close();
    assert.equal(segs.length, 2);
    truncateSync(segs[1]!, 5); // the new segment's hard-state header is torn
    s = await DurableRaftStorage.open(dir, { ...FAST, segmentBytes: 60 });
    assert.equal(s.lastIndex(), 3);
    assert.deepEqual(s.hardState(), hs(1, 3, 'n1'));
    await s.compact(3, 'img', CONF); // deletes the first segment: the hard state must still be on disk
    assert.equal(existsSync(segs[0]!), false);
    s = await reopen(s, dir);
    assert.deepEqual(s.hardState(), hs(1, 3, 'n1'));
    await s.close();
  });

  test('equivalence: random operations give the same answers as MemoryRaftStorage, across reopenings', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rng = new Rng(seed);
      const dir = freshDir();
      const opts: DurableRaftStorageOptions = { initialConf: CONF, fsync: false, segmentBytes: rng.pick([64, 300, 2000, 1 << 20]) };
      const mem = new MemoryRaftStorage(CONF);
      let dur = await DurableRaftStorage.open(dir, opts);
      let term = 1;
      let commit = 0;
      let reopened = 0;
      for (let step = 0; step < 150; step++) {
        const r = rng.next();
        const off = mem.firstIndex() - 1;
        const last = mem.lastIndex();
        if (r < 0.6) {
          // Entries starting anywhere from a few before the snapshot to right after the end, but
          // like Raft never rewriting committed entries (a batch below the snapshot is cut by the storage).
          if (rng.chance(0.3)) term++;
          let start = Math.max(1, rng.int(off - 3, last + 1));
          if (start <= commit && !(start <= off && commit === off)) start = commit + 1;
          const n = rng.int(0, 6);
          const entries = Array.from({ length: n }, (_, i) => ent(start + i, term, rng.chance(0.2) ? '' : `s${seed}-${step}-${i}`, rng.chance(0.1) ? 'conf' : 'normal'));
          mem.append(entries);
          let hardState: HardState | null = null;
          if (rng.chance(0.6)) {
            commit = rng.int(commit, mem.lastIndex());
            hardState = hs(term, commit, rng.pick(['', 'n1', 'n2']));
          }
          await dur.persist({ entries, hardState });
          if (hardState) mem.setHardState(hardState);
        } else if (r < 0.75) {
          if (commit > off) {
            const index = rng.int(off + 1, commit);
            const conf: ConfState = { voters: ['n1', 'n2'].slice(0, rng.int(1, 2)), learners: rng.chance(0.5) ? ['n3'] : [] };
            await dur.compact(index, `img-${seed}-${step}`, conf);
            mem.compact(index, `img-${seed}-${step}`, conf);
          }
        } else if (r < 0.85) {
          term++;
          const snap: Snapshot = { meta: { index: Math.max(0, rng.int(off - 2, last + 5)), term, conf: CONF }, data: `leader-${seed}-${step}` };
          const installed = snap.meta.index > off;
          const entries = installed && rng.chance(0.5) ? range(snap.meta.index + 1, snap.meta.index + rng.int(1, 3), term) : [];
          if (installed) commit = snap.meta.index;
          const hardState = hs(term, commit);
          await dur.persist({ snapshot: snap, entries, hardState });
          mem.applySnapshot(snap);
          mem.append(entries);
          mem.setHardState(hardState);
        } else {
          dur = await reopen(dur, dir, opts);
          reopened++;
        }
        assert.deepEqual(view(dur), view(mem), `seed ${seed} step ${step}`);
      }
      dur = await reopen(dur, dir, opts);
      assert.deepEqual(view(dur), view(mem), `seed ${seed} final`);
      assert.equal(dur.tornTail, null);
      assert.ok(reopened > 5);
      await dur.close();
    }
  });
});

test('log preallocation: appends overwrite zero-filled space; reopen, rollover, torn writes and recovery (docs/raft.md "Durable storage")', async () => {
  const dir = freshDir();
  const PRE: DurableRaftStorageOptions = { initialConf: CONF, fsync: false, preallocateBytes: 2048, segmentBytes: 1500 };
  let s = await DurableRaftStorage.open(dir, PRE);
  await s.persist({ entries: range(1, 3, 1), hardState: hs(1, 2) });
  const seg1 = lastSegment(dir);
  const size1 = statSync(seg1).size;
  assert.ok(size1 >= 2048, `the segment is zero-filled ahead of its records (${size1} bytes)`);
  // Appends inside the zero-filled space do not grow the file.
  await s.persist({ entries: [ent(4, 1)] });
  assert.equal(statSync(seg1).size, size1);
  await s.close();
  s = await DurableRaftStorage.open(dir, PRE);
  assert.equal(s.tornTail, null);
  assert.equal(s.lastIndex(), 4);
  assert.equal(statSync(seg1).size, size1, 'the free space is kept at reopen');
  // Enough appends to pass the free space and roll over to new segments (each preallocated).
  for (let i = 5; i <= 60; i++) await s.persist({ entries: [ent(i, 1, 'x'.repeat(80))], ...(i < 60 ? { hardState: hs(1, i - 1) } : {}) });
  const expected = view(s);
  const segs = s.segmentFiles();
  assert.ok(segs.length >= 3, `${segs.length} segments`);
  await s.close();
  // Segments that are not the last end in zeros too: a clean reopen.
  s = await DurableRaftStorage.open(dir, PRE);
  assert.equal(s.tornTail, null);
  assert.deepEqual(view(s), expected);
  await s.close();
  // A torn last record inside the free space: detected, truncated, the records before it kept.
  const last = lastSegment(dir);
  const buf = readFileSync(last);
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  const torn = Buffer.from(buf);
  torn[end - 3]! ^= 0x40;
  writeFileSync(last, torn);
  s = await DurableRaftStorage.open(dir, PRE);
  assert.ok(s.tornTail !== null && s.tornTail.file === last, 'a torn tail');
  assert.equal(s.lastIndex(), 59, 'only the torn record is lost');
  // Writing resumes (and preallocates again) after the truncation.
  await s.persist({ entries: [ent(60, 2, 'again')], hardState: hs(2, 59) });
  await s.close();
  s = await DurableRaftStorage.open(dir, PRE);
  assert.equal(s.tornTail, null);
  assert.equal(s.lastIndex(), 60);
  assert.equal(s.entries(60, 61)[0]!.data, 'again');
  await s.close();
  // Off (0): files hold records only.
  const plain = freshDir();
  s = await DurableRaftStorage.open(plain, { initialConf: CONF, fsync: false });
  await s.persist({ entries: range(1, 3, 1), hardState: hs(1, 2) });
  await s.close();
  assert.ok(statSync(lastSegment(plain)).size < 512);
  await assert.rejects(DurableRaftStorage.open(freshDir(), { ...PRE, preallocateBytes: -1 }), /bad preallocateBytes/);
});
