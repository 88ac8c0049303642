/**
 * Drain of a leaving cluster member (SIGTERM, or the operator endpoint): stop accepting SDK
 * connections, move Raft leadership away, ask every SDK connection to move (ConnectResetRequest
 * for clients that honour it, stream end for the others) while their clients are handed over
 * (src/naming/handover.ts), wait until the SDKs have registered again on other members or a
 * bounded time, release what is left, and wait until the resulting Distro deletions reached the
 * peers. Time is injected; the steps are callbacks, so the sequence is unit-testable.
 */
import type { Clock } from '../core/clock.js';

export interface DrainDeps {
  clock: Clock;
  /** Refuse new SDK connections (close the listener, refuse setups). */
  stopAccepting(): void;
  /** Registered SDK connection ids. */
  connections(): readonly string[];
  /** Marks the connection for hand-over and asks it to move (towards `target`, a member address, if given). */
  move(connectionId: string, target: string | undefined): void;
  /** Member addresses to point clients at (UP, not draining peers), least loaded first; empty: nowhere to go. */
  targets(): readonly string[];
  /** Hand Raft leadership to a peer; resolves when done or given up. */
  transferLeadership(): Promise<unknown>;
  /** Clients still waiting for their SDK to register elsewhere. */
  pendingHandovers(): number;
  /** Release every client still retained. */
  releaseAll(): void;
  /** Distro sync entries not yet acknowledged by live peers. */
  pendingSyncs(): number;
  log(obj: object, msg: string): void;
}

export interface DrainOptions {
  /** Longest wait for the SDKs to re-register elsewhere. */
  timeoutMs: number;
  /** Longest wait for the final Distro deletions to reach the peers. */
  flushTimeoutMs: number;
  /** Poll period of the waits. */
  pollMs: number;
}

export interface DrainReport {
  /** Connections asked to move. */
  moved: number;
  /** Clients still retained when the wait ended (released by force). */
  leftOver: number;
  /** ms from the start until every client was handed over (or the timeout). */
  handoverMs: number;
  /** Sync entries still unacknowledged when the member gave up flushing. */
  unflushed: number;
  totalMs: number;
}

function until(clock: Clock, cond: () => boolean, timeoutMs: number, pollMs: number): Promise<boolean> {
  const t0 = clock.monotonic();
  return new Promise((resolve) => {
    const step = (): void => {
      if (cond()) return resolve(true);
      if (clock.monotonic() - t0 >= timeoutMs) return resolve(false);
      clock.setTimeout(step, pollMs);
    };
    step();
  });
}

export async function drainMember(d: DrainDeps, o: DrainOptions): Promise<DrainReport> {
  const t0 = d.clock.monotonic();
  d.stopAccepting();
  const leadership = d.transferLeadership().catch(() => false);
  const targets = d.targets();
  const ids = d.connections();
  ids.forEach((id, i) => d.move(id, targets.length > 0 ? targets[i % targets.length] : undefined));
  d.log({ connections: ids.length, targets }, 'drain: asked SDK connections to move');
  // With no live peer the SDKs have nowhere to go: do not wait for them.
  if (targets.length > 0) await until(d.clock, () => d.pendingHandovers() === 0, o.timeoutMs, o.pollMs);
  const handoverMs = d.clock.monotonic() - t0;
  const leftOver = d.pendingHandovers();
  if (leftOver > 0) d.log({ leftOver }, 'drain: clients not re-registered elsewhere in time; removing them');
  d.releaseAll();
  await leadership;
  await until(d.clock, () => d.pendingSyncs() === 0, o.flushTimeoutMs, o.pollMs);
  const report = { moved: ids.length, leftOver, handoverMs, unflushed: d.pendingSyncs(), totalMs: d.clock.monotonic() - t0 };
  d.log(report, 'drain: done');
  return report;
}
