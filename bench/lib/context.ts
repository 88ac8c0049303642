/**
 * What every scenario of the orchestrator shares: the run's context (options, collected rows,
 * raw data, notes), CPU placement, progress output, and starting scripts and Nomen servers.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Cli, Mode } from './cli.js';
import type { Compared } from './compare.js';
import { freePortPair, runScript, startNomen, waitQuiet, type ScriptEvent, type ScriptProcess, type ServerHandle } from './proc.js';
import type { Row } from './report.js';
import type { Disturbable } from './types.js';

export const SERVER_CPU = 0;
export const LOAD_CPU = 1;
/** A measurement during which other processes used more than this many cores is "disturbed". */
export const OTHER_LOAD_LIMIT = 0.25;

export const T0 = Date.now();
export const progress = (msg: string): void => {
  process.stderr.write(`[bench +${((Date.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
};

export interface Ctx {
  cli: Cli;
  mode: Mode;
  rows: Row[];
  raw: Record<string, unknown>;
  notes: string[];
  tmp: string;
  logDir: string;
  pushDelayMs: number;
  serverProps: Record<string, string>;
  /** Figures of Nomen and the peers for the "vs peer" rows and the chart, filled as scenarios run. */
  compared: Compared[];
}

export const num = (x: number | null | undefined): number => (x === null || x === undefined ? NaN : x);

export const otherOf = (x: Disturbable): number => {
  const o = num(x.otherCpu);
  return Number.isFinite(o) ? o : 0;
};

/** Waits for other processes on the machine to go quiet (bounded); notes it when they don't. */
export async function quiet(ctx: Ctx, label: string): Promise<void> {
  const busy = await waitQuiet(ctx.mode.quietWaitMs, 0.15, ctx.mode.name === 'full' ? 500 : 200);
  if (busy > 0.15) {
    ctx.notes.push(`machine busy before ${label}: other processes were using ${busy.toFixed(2)} cores`);
    progress(`warning: machine busy (${busy.toFixed(2)} cores) before ${label}`);
  }
}

export async function runToResult<T>(p: ScriptProcess, timeoutMs: number): Promise<T> {
  try {
    const e: ScriptEvent = await p.waitEvent('result', timeoutMs);
    return e as unknown as T;
  } finally {
    await p.stop(5000);
  }
}

export async function startScript(ctx: Ctx, script: string, args: object, cpu: number, timeoutMs: number): Promise<{ p: ScriptProcess; ready: ScriptEvent }> {
  const p = runScript(script, args, cpu, { verbose: ctx.cli.verbose });
  try {
    const ready = await p.waitEvent('ready', timeoutMs);
    return { p, ready };
  } catch (e) {
    await p.stop(1000);
    throw e;
  }
}

/** A Nomen server for a scenario; `props` adds to (or overrides) the run's `--property` set. */
export async function startServer(ctx: Ctx, label: string, props: Record<string, string> = {}): Promise<ServerHandle> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(join(ctx.tmp, `data-${label}-`));
  return startNomen({
    port,
    dataDir,
    logFile: join(ctx.logDir, `nomen-${label}.log`),
    cpu: SERVER_CPU,
    properties: { ...ctx.serverProps, ...props },
    nodeArgs: ctx.cli.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.logDir, 'cpu-prof'), '--cpu-prof-name', `nomen-${label}.cpuprofile`] : [],
  });
}
