#!/usr/bin/env node
/**
 * The `nomen` entry point. It only tunes the V8 heap, then loads the real CLI (`cli-main.ts`):
 * the flag must be set before the modules are loaded, and static imports would run first.
 *
 * Start-up memory: loading and initialising the modules allocates ~25 MB of mostly long-lived
 * objects in a burst. With V8's default young-generation sizing, that burst makes the young
 * generation grow to its maximum (2 × 16 MB semi-spaces) and it stays committed while the server
 * idles. Not letting it grow during start-up keeps idle RSS ~11 MB lower; growth is allowed again
 * once the server is ready (`restoreHeapGrowth`), so it still sizes itself under load.
 * `--semi-space-growth-factor` is read by V8 each time it grows the young generation, so it can be
 * changed at run time (unlike `--max-semi-space-size`). NOMEN_HEAP_TUNING=false turns this off.
 */
import { setFlagsFromString } from 'node:v8';

const tune = process.env.NOMEN_HEAP_TUNING !== 'false';
if (tune) setFlagsFromString('--semi-space-growth-factor=1');

const { main } = await import('./cli-main.js');
main(() => {
  if (tune) setFlagsFromString('--semi-space-growth-factor=2');
});
