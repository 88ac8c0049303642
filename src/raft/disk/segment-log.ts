/**
 * The Raft log as append-only segment files `<dir>/<seq, 16 digits>.seg`, each a sequence of
 * checksummed records (record-codec.ts): entries, hard states and snapshot markers. Records are
 * never rewritten in place:
 *
 * - an entry record at index k means "the log now ends at k": replay truncates any later entry it
 *   holds (this is how a conflicting suffix is truncated — the truncation is durable exactly when
 *   the replacing entry is);
 * - a hard-state record replaces the previous one; every segment starts with one, so deleting old
 *   segments never loses the current hard state;
 * - a snapshot marker records that a snapshot from the leader replaced the whole log.
 *
 * Recovery replays the segments on top of the newest snapshot file (index I): entries ≤ I only
 * truncate; entries > I must extend or overwrite the log without a gap. Only the last segment may
 * end in a torn write; anything else that fails its checksum stops the start.
 *
 * Preallocation (docs/raft.md "Durable storage"): the last segment is kept zero-filled (written and
 * synced) some way past its last record, so an append overwrites allocated blocks inside the file
 * instead of growing it; its O_DSYNC write then has no size or block allocation to journal (half
 * the latency and the system time per append on ext4, measured). A record's length is never 0, so
 * zeros after the last record of any segment are free space, not a torn write.
 */
import { join } from 'node:path';
import type { Entry, HardState } from '../types.js';
import type { RaftFile, RaftFs, RaftStorageLogger } from './fs.js';
import { decodeLogRecord, encodeHardState, peekEntryIndex, RaftStorageCorruptError, RecordDecodeError, scanRecords } from './record-codec.js';

const NAME = /^(\d{16})\.seg$/;

export function segmentFileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.seg`;
}

interface Segment {
  seq: number;
  path: string;
  /** Bytes of valid records (the write position). */
  size: number;
  /** Highest entry / snapshot-marker index recorded in the segment (0 if none). */
  maxIndex: number;
}

export interface TornTail {
  file: string;
  offset: number;
  droppedBytes: number;
}

export interface RecoveredLog {
  log: SegmentLog;
  /** Live entries after the snapshot index, in order. */
  entries: Entry[];
  hardState: HardState;
  tornTail: TornTail | null;
}

export class SegmentLog {
  private constructor(
    private readonly fs: RaftFs,
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly segments: Segment[],
    private current: RaftFile,
    /** Zero-filled bytes kept ahead of the write position (0: none). */
    private readonly preallocBytes: number,
    /** End of the durable bytes of the last segment (records, then zeros): ≥ its size. */
    private allocated: number,
  ) {}

  /** Recovers the log of `dir` on top of a snapshot at `snapIndex` and opens its last segment for appending. */
  static async open(fs: RaftFs, dir: string, snapIndex: number, segmentBytes: number, log: RaftStorageLogger, preallocBytes = 0): Promise<RecoveredLog> {
    const seqs = (await fs.readdir(dir))
      .map((n) => NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    const held: Entry[] = [];
    let hard: HardState = { term: 0, vote: '', commit: 0 };
    let tornTail: TornTail | null = null;
    let fileBytes = 0;
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      const path = join(dir, segmentFileName(seq));
      const buf = await fs.readFile(path);
      const scan = scanRecords(buf);
      fileBytes = buf.length;
      if (scan.goodEnd < buf.length && !zerosFrom(buf, scan.goodEnd)) {
        if (i < seqs.length - 1) {
          throw new RaftStorageCorruptError(path, scan.goodEnd, 'a record is truncated or fails its checksum in a segment that is not the last one');
        }
        if (scan.resyncAt >= 0) {
          throw new RaftStorageCorruptError(path, scan.goodEnd, `a record is truncated or fails its checksum, and valid records follow at offset ${scan.resyncAt}`);
        }
        tornTail = { file: path, offset: scan.goodEnd, droppedBytes: buf.length - scan.goodEnd };
      }
      let maxIndex = 0;
      for (const raw of scan.records) {
        let rec;
        try {
          // An entry the snapshot covers only truncates (below): its data is never decoded.
          const covered = peekEntryIndex(raw.payload);
          if (covered !== null && covered <= snapIndex) {
            maxIndex = Math.max(maxIndex, covered);
            held.length = 0; // the log ended at an index ≤ snapshot here: nothing after the snapshot survives
            continue;
          }
          rec = decodeLogRecord(raw.payload);
        } catch (e) {
          if (e instanceof RecordDecodeError) throw new RaftStorageCorruptError(path, raw.offset, `undecodable record: ${e.message}`);
          throw e;
        }
        if (rec.kind === 'hard') {
          hard = rec.hard;
        } else if (rec.kind === 'snapMark') {
          if (rec.index > snapIndex) throw new RaftStorageCorruptError(path, raw.offset, `snapshot marker at index ${rec.index} is newer than the newest snapshot file (${snapIndex})`);
          maxIndex = Math.max(maxIndex, rec.index);
          held.length = 0;
        } else {
          const k = rec.entry.index;
          maxIndex = Math.max(maxIndex, k); // k > snapIndex: covered entries were skipped above
          const last = snapIndex + held.length;
          if (k > last + 1) throw new RaftStorageCorruptError(path, raw.offset, `entry ${k} leaves a gap after index ${last}`);
          held.length = k - snapIndex - 1;
          held.push(rec.entry);
        }
      }
      segments.push({ seq, path, size: scan.goodEnd, maxIndex });
    }

    let current: RaftFile;
    let created = false;
    const last = segments.at(-1);
    let allocated = last ? fileBytes : 0;
    if (!last) {
      const seg: Segment = { seq: 1, path: join(dir, segmentFileName(1)), size: 0, maxIndex: 0 };
      segments.push(seg);
      current = await fs.open(seg.path, 'create', { dsync: true });
      created = true;
    } else {
      current = await fs.open(last.path, 'existing', { dsync: true });
      if (tornTail) {
        await current.truncate(tornTail.offset);
        await current.sync();
        allocated = tornTail.offset;
        log.warn({ ...tornTail }, 'raft storage: recovered from a torn write at the end of the log (truncated)');
      }
    }
    const seg = segments.at(-1)!;
    if (seg.size === 0) {
      // Every non-empty segment starts with the current hard state (see the file comment).
      const head = encodeHardState(hard);
      await current.write(head, 0);
      await current.sync();
      seg.size = head.length;
      allocated = Math.max(allocated, head.length);
    }
    if (created) await fs.syncDir(dir);
    return { log: new SegmentLog(fs, dir, segmentBytes, segments, current, preallocBytes, allocated), entries: held, hardState: hard, tornTail };
  }

  /**
   * Appends `records` (one write, one fdatasync). If the last segment is full, starts a new one
   * headed by `hard` (the hard state already durable) and fsyncs the directory too.
   */
  async append(records: Buffer, maxIndex: number, hard: HardState): Promise<void> {
    const seg = this.segments.at(-1)!;
    if (seg.size < this.segmentBytes) {
      const end = seg.size + records.length;
      // Past the zero-filled space: the records and the next stretch of zeros in one write.
      await writeDurably(this.current, end > this.allocated ? this.withZeros(records) : records, seg.size);
      if (end > this.allocated) this.allocated = end + this.preallocBytes;
      seg.size = end;
      seg.maxIndex = Math.max(seg.maxIndex, maxIndex);
      return;
    }
    const next: Segment = { seq: seg.seq + 1, path: join(this.dir, segmentFileName(seg.seq + 1)), size: 0, maxIndex: 0 };
    const f = await this.fs.open(next.path, 'create', { dsync: true });
    const buf = Buffer.concat([encodeHardState(hard), records]);
    await writeDurably(f, this.withZeros(buf), 0);
    await this.fs.syncDir(this.dir);
    const old = this.current;
    this.current = f;
    next.size = buf.length;
    next.maxIndex = maxIndex;
    this.allocated = buf.length + this.preallocBytes;
    this.segments.push(next);
    await old.close();
  }

  /**
   * Deletes the oldest segments while everything they record is at or below `index` (the index
   * of a durable snapshot). The last segment always stays.
   */
  async dropThrough(index: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[0]!.maxIndex <= index) {
      await this.fs.unlink(this.segments[0]!.path);
      this.segments.shift();
    }
  }

  /** `records` followed by `preallocBytes` zeros (the records alone when preallocation is off). */
  private withZeros(records: Buffer): Buffer {
    return this.preallocBytes > 0 ? Buffer.concat([records, Buffer.alloc(this.preallocBytes)]) : records;
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.path);
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}

/** True when every byte of `buf` from `start` on is zero (free space after the last record). */
function zerosFrom(buf: Buffer, start: number): boolean {
  for (let i = start; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** One durable write: `writeSynced` when the file offers it (O_DSYNC), else write + fdatasync. */
async function writeDurably(f: RaftFile, data: Buffer, position: number): Promise<void> {
  if (f.writeSynced) await f.writeSynced(data, position);
  else {
    await f.write(data, position);
    await f.sync();
  }
}
