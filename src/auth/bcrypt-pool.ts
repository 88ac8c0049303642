/**
 * bcrypt off the event loop: a small pool of worker threads with a bounded
 * queue. A bcrypt check of cost 10 is ~50–100 ms of CPU; on the main thread 64 of them at once
 * stalled every other request for seconds (docs/security.md §3). Here each worker runs one job
 * at a time; jobs wait in a FIFO of at most `maxQueue`; one more is refused at once with
 * `PoolBusyError` (the caller answers "try later" without any bcrypt).
 *
 * Workers start on the first job (auth off: none ever) and keep the process alive only while
 * they have work. On Linux each worker thread lowers its own scheduling priority (`nice`), so on a
 * busy or pinned machine the event loop wins the CPU over password checks. A job may carry `stillWanted`: checked when a worker takes it, so a job whose
 * answer no longer matters (its user got locked meanwhile) costs no bcrypt.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What the credential checks need from bcrypt; the pool, or a fake in tests. */
export interface PasswordHasher {
  /** False for a wrong password and for anything that is not a bcrypt hash. Rejects with PoolBusyError / JobDroppedError. */
  compare(password: string, hash: string, stillWanted?: () => boolean): Promise<boolean>;
  hash(password: string, cost: number): Promise<string>;
  close(): Promise<void>;
}

/** The queue is full: refused without running. */
export class PoolBusyError extends Error {
  constructor() {
    super('too many password checks in progress');
    this.name = 'PoolBusyError';
  }
}

/** `stillWanted` said no when a worker was about to run the job. */
export class JobDroppedError extends Error {
  constructor() {
    super('password check dropped');
    this.name = 'JobDroppedError';
  }
}

export interface BcryptPoolOptions {
  /** Worker threads (each runs one bcrypt at a time). */
  readonly workers: number;
  /** Jobs waiting for a worker beyond those running; more are refused. */
  readonly maxQueue: number;
  /** Niceness of the worker threads (0–19; Linux only, best effort). Default 0. */
  readonly nice?: number;
}

type Op = { op: 'compare'; password: string; hash: string } | { op: 'hash'; password: string; cost: number };

interface Job {
  readonly id: number;
  readonly op: Op;
  readonly stillWanted: (() => boolean) | undefined;
  readonly resolve: (v: string | boolean) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The job running, or (while `finishing`) the one just answered. */
  job: Job | null;
  /** Answered; takes the next job once the caller's continuation ran (see onAnswer). */
  finishing: boolean;
}

/**
 * The worker's program: one job at a time from the main thread, bcryptjs run synchronously there,
 * `{id, ok, value}` back; anything malformed is answered as a failure. It is plain JavaScript
 * evaluated by the worker (CommonJS, bcryptjs by resolved path) so the same code runs from `dist/`
 * and from the TypeScript sources under tsx, whose loader Node 20 does not carry into workers.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
if (workerData.nice > 0) {
  try {
    // /proc/thread-self -> "<pid>/task/<tid>": nice is per thread on Linux.
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) require('node:os').setPriority(tid, workerData.nice);
  } catch {
    // not Linux, or not allowed: run at the process priority
  }
}
parentPort.on('message', (m) => {
  if (typeof m !== 'object' || m === null || typeof m.id !== 'number') return;
  let answer;
  try {
    if (typeof m.password !== 'string') answer = { ok: false, value: 'bad job' };
    else if (m.op === 'compare' && typeof m.hash === 'string') answer = { ok: true, value: bcrypt.compareSync(m.password, m.hash) };
    else if (m.op === 'hash' && Number.isInteger(m.cost)) answer = { ok: true, value: bcrypt.hashSync(m.password, m.cost) };
    else answer = { ok: false, value: 'bad job' };
  } catch (e) {
    answer = { ok: false, value: String(e && e.message) };
  }
  parentPort.postMessage({ id: m.id, ...answer });
});
`;

const BCRYPTJS = createRequire(import.meta.url).resolve('bcryptjs');

export class BcryptPool implements PasswordHasher {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: BcryptPoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError('workers must be a positive integer');
    if (!Number.isInteger(opts.maxQueue) || opts.maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer');
  }

  /** Jobs running plus waiting. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.job !== null && !s.finishing).length;
  }

  compare(password: string, hash: string, stillWanted?: () => boolean): Promise<boolean> {
    return this.submit({ op: 'compare', password, hash }, stillWanted).then((v) => v === true);
  }

  hash(password: string, cost: number): Promise<string> {
    return this.submit({ op: 'hash', password, cost }).then(String);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('bcrypt pool closed'));
    const slots = this.slots.splice(0);
    for (const s of slots) s.job?.reject(new Error('bcrypt pool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private submit(op: Op, stillWanted?: () => boolean): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('bcrypt pool closed'));
    const idle = this.idleSlot();
    // A finishing worker is about to take the queue's head: it counts as free.
    const finishing = this.slots.filter((s) => s.finishing).length;
    if (!idle && this.queue.length >= this.opts.maxQueue + finishing) return Promise.reject(new PoolBusyError());
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, op, stillWanted, resolve, reject };
      if (idle) this.start(idle, job);
      else this.queue.push(job);
    });
  }

  /** An idle worker, starting a new one while fewer than `workers` exist. */
  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((s) => s.job === null);
    if (idle || this.slots.length >= this.opts.workers) return idle;
    const slot: Slot = { worker: this.spawn(), job: null, finishing: false };
    this.slots.push(slot);
    return slot;
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: BCRYPTJS, nice: this.opts.nice ?? 0 } });
    worker.unref();
    worker.on('message', (msg: unknown) => this.onAnswer(worker, msg));
    worker.on('error', (err) => this.onExit(worker, err));
    worker.on('exit', (code) => this.onExit(worker, new Error(`bcrypt worker exited with code ${code}`)));
    return worker;
  }

  private start(slot: Slot, job: Job): void {
    if (job.stillWanted && !job.stillWanted()) {
      job.reject(new JobDroppedError());
      this.next(slot);
      return;
    }
    slot.job = job;
    slot.worker.ref(); // keep the process alive while a caller waits
    slot.worker.postMessage({ id: job.id, ...job.op });
  }

  private next(slot: Slot): void {
    slot.job = null;
    slot.finishing = false;
    if (!this.slots.includes(slot)) return; // the worker died or the pool closed meanwhile
    slot.worker.unref();
    const job = this.queue.shift();
    if (job) this.start(slot, job);
  }

  private onAnswer(worker: Worker, msg: unknown): void {
    const slot = this.slots.find((s) => s.worker === worker);
    const job = slot?.job;
    if (!slot || !job || typeof msg !== 'object' || msg === null) return;
    const m = msg as { id?: unknown; ok?: unknown; value?: unknown };
    if (m.id !== job.id) return;
    if (m.ok === true && (typeof m.value === 'boolean' || typeof m.value === 'string')) job.resolve(m.value);
    else if (job.op.op === 'compare') job.resolve(false); // not a bcrypt hash: a failed check
    else job.reject(new Error(`bcrypt failed: ${String(m.value)}`));
    // The next job is taken after the callers' continuations ran, so a lock this answer caused is
    // seen by the next job's `stillWanted`.
    slot.finishing = true;
    setImmediate(() => this.next(slot));
  }

  /** A worker died: fail its job, replace it (lazily) and keep serving the queue. */
  private onExit(worker: Worker, err: Error): void {
    const i = this.slots.findIndex((s) => s.worker === worker);
    if (i < 0) return;
    const [slot] = this.slots.splice(i, 1);
    slot?.job?.reject(err);
    if (this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    const fresh = this.idleSlot();
    if (fresh) this.start(fresh, job);
    else this.queue.unshift(job);
  }
}
