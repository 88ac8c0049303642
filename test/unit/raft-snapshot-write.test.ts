/**
 * The snapshot file written from the image's slices, a piece per event-loop turn
 * (src/raft/disk/snapshot-file.ts `writeSnapshotFileSliced`, docs/raft.md "Compaction under
 * load"): the bytes are those of `encodeSnapshotFile` of the joined image (the format of
 * docs/raft.md "Layout"), whatever the slicing — multi-byte characters and surrogate pairs at the
 * edges, lone surrogates (UTF-16LE) —; a failure or a crash in the middle leaves the previous
 * snapshot; a host that compacts with KvStateMachine's slices recovers its state on restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { encodeCommand, KvStateMachine } from '../../src/persistence/kv-state-machine.js';
import { nodeRaftFs, withoutSync, type RaftFs } from '../../src/raft/disk/fs.js';
import { decodeSnapshotFile, encodeSnapshotFile, SNAPSHOT_WRITE_CHARS, snapshotFileName, snapshotPieces, writeSnapshotFileSliced } from '../../src/raft/disk/snapshot-file.js';
import { DurableRaftStorage } from '../../src/raft/durable-storage.js';
import { RaftHost } from '../../src/raft/host.js';
import type { ConfState, SnapshotMeta } from '../../src/raft/types.js';
import { Rng } from '../sim/prng.js';
import { SimDisk } from '../sim/sim-disk.js';

const root = mkdtempSync(join(tmpdir(), 'nomen-snapshot-write-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const freshDir = (): string => join(root, `d${++seq}`);

const CONF: ConfState = { voters: ['a'], learners: [] };
const META: SnapshotMeta = { index: 7, term: 3, conf: { voters: ['a', 'b'], learners: ['c'] } };
const fast = withoutSync(nodeRaftFs);
const flush = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Cuts `s` at random code-unit positions (so also between the halves of a surrogate pair). */
function randomSlices(rng: Rng, s: string, maxCut: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < s.length) {
    const n = rng.int(0, maxCut);
    out.push(s.slice(at, at + n));
    at += n;
  }
  return out;
}

/** A string of ASCII, 2-, 3- and 4-byte UTF-8 characters (the last as surrogate pairs). */
function mixed(rng: Rng, length: number): string {
  const alphabet = ['a', 'Z', '{', '"', 'é', 'ß', '€', '中', '😀', '𝄞', '\u{10FFFF}'];
  let s = '';
  while (s.length < length) s += rng.pick(alphabet);
  return s;
}

async function written(dir: string, slices: readonly string[], pieceChars: number, yieldTurn: () => Promise<void> = async () => undefined): Promise<Buffer> {
  await fast.mkdir(dir);
  await writeSnapshotFileSliced(fast, dir, META, slices, yieldTurn, pieceChars);
  return readFileSync(join(dir, snapshotFileName(META.index)));
}

describe('snapshot file written in pieces', () => {
  it('cuts pieces that join to the image, never between the halves of a surrogate pair', () => {
    const rng = new Rng(11);
    for (let round = 0; round < 200; round++) {
      const image = mixed(rng, rng.int(0, 300));
      const slices = randomSlices(rng, image, 40);
      const max = rng.int(2, 50);
      const pieces = snapshotPieces(slices, max);
      assert.equal(pieces.join(''), image);
      for (let k = 0; k < pieces.length; k++) {
        const p = pieces[k]!;
        assert.ok(p.length > 0 && p.length <= max + 1, `piece of ${p.length} for max ${max}`);
        const last = p.charCodeAt(p.length - 1);
        if (k < pieces.length - 1) assert.ok(!(last >= 0xd800 && last <= 0xdbff), 'a piece ends with a high surrogate');
      }
    }
    assert.throws(() => snapshotPieces(['x'], 1), RangeError);
  });

  it('writes the bytes of encodeSnapshotFile, whatever the slicing (multi-byte characters and surrogate pairs at the edges)', async () => {
    const rng = new Rng(5);
    for (let round = 0; round < 60; round++) {
      const image = mixed(rng, rng.int(0, 2000));
      const slices = randomSlices(rng, image, rng.pick([1, 3, 17, 300, 5000]));
      const file = await written(freshDir(), slices, rng.pick([2, 3, 7, 64, 1024, SNAPSHOT_WRITE_CHARS]));
      const expected = encodeSnapshotFile({ meta: META, data: image });
      assert.ok(file.equals(expected), `round ${round}`);
      assert.equal(decodeSnapshotFile(file, 'f').data, image);
    }
  });

  it('a surrogate pair split between two slices is written as one UTF-8 character', async () => {
    const image = 'ab😀cd';
    const file = await written(freshDir(), ['ab\ud83d', '\ude00cd'], 3);
    assert.ok(file.equals(encodeSnapshotFile({ meta: META, data: image })));
    assert.ok(file.includes(Buffer.from('😀', 'utf8')));
  });

  it('an image with a lone surrogate anywhere is written as UTF-16LE, as before', async () => {
    for (const image of ['abc\ud800', '\udc00abc', 'ab\ud800cd', 'x'.repeat(50) + '\udfff' + '😀'.repeat(20), '😀'.repeat(30) + '\ud83d']) {
      const rng = new Rng(image.length);
      for (let round = 0; round < 10; round++) {
        const file = await written(freshDir(), randomSlices(rng, image, 9), rng.pick([2, 5, 16]));
        assert.ok(file.equals(encodeSnapshotFile({ meta: META, data: image })), JSON.stringify(image));
        assert.equal(decodeSnapshotFile(file, 'f').data, image);
      }
    }
  });

  it('the empty image and empty slices', async () => {
    for (const slices of [[], [''], ['', '', ''], ['', 'x', '']]) {
      const file = await written(freshDir(), slices, 4);
      assert.ok(file.equals(encodeSnapshotFile({ meta: META, data: slices.join('') })));
    }
  });

  it('yields between pieces, and never for an image of one piece', async () => {
    let turns = 0;
    const count = async (): Promise<void> => void turns++;
    await written(freshDir(), ['x'.repeat(100)], 100, count);
    assert.equal(turns, 0);
    await written(freshDir(), ['x'.repeat(100), 'y'.repeat(100)], 50, count);
    assert.ok(turns >= 3, `${turns} turns for 4 pieces`);
  });

  it('a failed write of the new file leaves the previous snapshot, which a reopen loads', async () => {
    const dir = freshDir();
    let failAt = -1;
    let tmpWrites = 0;
    const failing: RaftFs = {
      ...fast,
      async open(path, mode, opts) {
        const f = await fast.open(path, mode, opts);
        if (!path.endsWith('.snap.tmp')) return f;
        return {
          ...f,
          write: async (d, p) => {
            if (tmpWrites++ === failAt) throw new Error('EIO (test)');
            await f.write(d, p);
          },
        };
      },
    };
    const big = 'x€'.repeat(3000);
    let s = await DurableRaftStorage.open(dir, { initialConf: CONF, fs: failing });
    await s.persist({ entries: Array.from({ length: 10 }, (_, i) => ({ index: i + 1, term: 1, type: 'normal' as const, data: `e${i + 1}` })) });
    await s.compact(4, ['old image ', big], CONF);
    failAt = tmpWrites + 1; // the second piece of the next file
    await assert.rejects(s.compact(8, ['new image ', big, big], CONF), /EIO/);
    await assert.rejects(s.persist({ entries: [] }), /unusable/);
    await s.close();
    s = await DurableRaftStorage.open(dir, { initialConf: CONF, fs: fast });
    assert.equal(s.snapshot().meta.index, 4);
    assert.equal(s.snapshot().data, `old image ${big}`);
    assert.equal(s.lastIndex(), 10);
    await s.close();
  });

  it('a crash in the middle of the write (power loss) leaves the previous snapshot', async () => {
    // Power is lost just before the n-th step of the next compaction's file: its 7 piece writes,
    // the head write, the rename, the directory fsync.
    for (let at = 0; at <= 9; at++) {
      const rng = new Rng(at + 1);
      const disk = new SimDisk(rng, (ms, fn) => void setTimeout(fn, ms));
      let crashAt = -1;
      let steps = 0;
      const step = (): void => {
        if (crashAt >= 0 && steps++ === crashAt) disk.crash();
      };
      const fs: RaftFs = {
        mkdir: (p) => disk.mkdir(p),
        readdir: (p) => disk.readdir(p),
        readFile: (p) => disk.readFile(p),
        readFileSync: (p) => disk.readFileSync(p),
        async open(path, mode) {
          const f = await disk.open(path, mode);
          if (!path.endsWith('.snap.tmp')) return f;
          return { ...f, write: (d, p) => (step(), f.write(d, p)) };
        },
        rename: (from, to) => (step(), disk.rename(from, to)),
        unlink: (p) => disk.unlink(p),
        syncDir: (p) => (step(), disk.syncDir(p)),
      };
      const image = (tag: string): string[] => [tag, ...Array.from({ length: 6 }, () => mixed(rng, 200))];
      const first = image('first');
      let s = await DurableRaftStorage.open('/m/raft', { initialConf: CONF, fs, yieldTurn: async () => undefined });
      await s.persist({ entries: Array.from({ length: 10 }, (_, i) => ({ index: i + 1, term: 1, type: 'normal' as const, data: `e${i + 1}` })), hardState: { term: 1, vote: 'a', commit: 10 } });
      await s.compact(4, first, CONF);
      crashAt = at;
      void s.compact(9, image('second'), CONF); // never completes: the disk crashed under it
      for (let i = 0; i < 50 && disk.stats.crashes === 0; i++) await new Promise((r) => setTimeout(r, 2));
      assert.equal(disk.stats.crashes, 1, `crash at step ${at}`);
      crashAt = -1;
      s = await DurableRaftStorage.open('/m/raft', { initialConf: CONF, fs: disk });
      assert.equal(s.snapshot().meta.index, 4, `crash at step ${at}`);
      assert.equal(s.snapshot().data, first.join(''));
      assert.equal(s.lastIndex(), 10);
      await s.close();
    }
  });

  it('a host compacting with KvStateMachine slices writes the image; a restart recovers the state', async () => {
    const dir = freshDir();
    let storageTurns = 0;
    const open = (): Promise<DurableRaftStorage> =>
      DurableRaftStorage.open(dir, {
        initialConf: CONF,
        fsync: false,
        yieldTurn: () => {
          storageTurns++;
          return new Promise((r) => setImmediate(r));
        },
      });
    let storage = await open();
    const sm = new KvStateMachine(1000);
    const compacted: [number, number][] = [];
    const host = new RaftHost(
      {
        id: 'a',
        storage,
        clock: new ManualClock(),
        sm,
        send: () => undefined,
        log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
        tickMs: 100,
        electionTick: 10,
        heartbeatTick: 1,
        random: () => 0,
        snapshotEntries: 7, // the leader's empty entry and the 6 writes: the image holds them all
        snapshotIntervalMs: 3_600_000,
        onCompacted: (index, chars) => compacted.push([index, chars]),
      },
      0,
    );
    host.start();
    await flush();
    // Values larger than a piece, with multi-byte characters and surrogate pairs throughout.
    const rng = new Rng(3);
    for (let n = 1; n <= 6; n++) {
      const value = { content: mixed(rng, n % 2 === 0 ? 300_000 : 1000), md5: String(n) };
      assert.ok(host.propose(encodeCommand({ id: `w${n}`, batch: [{ table: 'config', key: `c${n}`, value }] })).ok);
      await flush(2);
    }
    // Under load (the whole raft suite in parallel) the image and the file take many turns: wait up to 60 s.
    for (const until = Date.now() + 60_000; compacted.length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 5));
    assert.equal(compacted.length, 1, 'compacted');
    const expected = sm.snapshot();
    const [index, chars] = compacted[0]!;
    assert.equal(index, host.status().appliedIndex);
    assert.equal(chars, expected.length);
    assert.ok(storageTurns > 0, 'the file was written in several turns');
    await host.stop();
    await storage.close();
    const file = join(dir, 'snapshot', snapshotFileName(index));
    assert.ok(readFileSync(file).equals(encodeSnapshotFile({ meta: { index, term: storage.term(index), conf: CONF }, data: expected })));
    storage = await open();
    assert.equal(storage.snapshot().meta.index, index);
    const restored = new KvStateMachine(1000);
    restored.restore(storage.snapshot().data);
    assert.equal(restored.snapshot(), expected);
    await storage.close();
  });
});
