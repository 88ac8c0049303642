#!/usr/bin/env node
/**
 * The `nomen` entry point. It optionally tunes the V8 heap, then loads the real CLI
 * (`cli-main.ts`): the flag must be set before the modules are loaded, and static imports would
 * run first.
 *
 * Start-up memory (opt-in, NOMEN_HEAP_TUNING=true): loading and initialising the modules allocates
 * ~25 MB of mostly long-lived objects in a burst, which makes V8 grow the young generation to its
 * maximum (2 × 16 MB semi-spaces); it stays committed while the server idles. Not letting it grow
 * during start-up keeps idle RSS ~11 MB lower, and growth is allowed again once the server is
 * ready. `--semi-space-growth-factor` is read by V8 each time it resizes the young generation, so
 * it can be changed at run time (unlike `--max-semi-space-size`). Off by default: in paired runs
 * gRPC register cost ~8–10 % more CPU per request afterwards (docs/benchmarks.md).
 */
import { setFlagsFromString } from 'node:v8';

const tune = process.env.NOMEN_HEAP_TUNING === 'true';
if (tune) setFlagsFromString('--semi-space-growth-factor=1');

const { main } = await import('./cli-main.js');
main(() => {
  if (tune) setFlagsFromString('--semi-space-growth-factor=2');
});
