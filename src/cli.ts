#!/usr/bin/env node
/**
 * The `nomen` entry point. It optionally tunes the V8 heap, then loads the real CLI
 * (`cli-main.ts`): the flags must be set before the modules are loaded, and static imports would
 * run first.
 *
 * Start-up memory (opt-in, NOMEN_HEAP_TUNING=true): loading and initialising the modules allocates
 * ~25 MB of mostly long-lived objects in a burst, which makes V8 grow the young generation to its
 * maximum (2 × 16 MB semi-spaces); it stays committed while the server idles. Not letting it grow
 * during start-up keeps idle RSS ~11 MB lower, and growth is allowed again once the server is
 * ready. `--semi-space-growth-factor` is read by V8 each time it resizes the young generation, so
 * it can be changed at run time (unlike `--max-semi-space-size`). Off by default: in paired runs
 * gRPC register cost ~8–10 % more CPU per request afterwards (docs/benchmarks.md).
 *
 * Scavenger threads (NOMEN_PARALLEL_SCAVENGE=auto|true|false, default auto): V8 scavenges the
 * young generation with helper threads. When the process may run on one CPU only (its affinity
 * mask: `taskset -c 0`, a cpuset of one CPU, a one-CPU machine) the helpers cannot run beside the
 * main thread and only add hand-offs and context switches, so `auto` turns them off there once
 * the server is ready (`--no-parallel-scavenge`, which V8 reads at each scavenge; `--single-threaded-gc` cannot be set
 * at run time: it aborts in the next GC). docs/decisions.md §24, docs/benchmarks.md "Scavenges on
 * one CPU".
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { v8Tuning, type V8Tuning } from './cli-flags.js';

let tuning: V8Tuning;
try {
  tuning = v8Tuning(process.env, availableParallelism());
} catch (e) {
  process.stderr.write(`nomen: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
for (const f of tuning.atStart) setFlagsFromString(f);

const { main } = await import('./cli-main.js');
main(() => {
  for (const f of tuning.whenReady) setFlagsFromString(f);
});
