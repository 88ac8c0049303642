/**
 * The V8 flags `dist/cli.js` sets before it loads anything (docs/decisions.md §19 and §24): a pure
 * function of the environment and the number of CPUs the process may run on, so it can be tested.
 */
export interface V8Tuning {
  /** Set before loading the server. */
  atStart: string[];
  /** Set once the server is ready. */
  whenReady: string[];
}

const SCAVENGE_VALUES = ['auto', 'true', 'false'] as const;

/**
 * `NOMEN_HEAP_TUNING=true`: a young generation that does not grow during start-up (§19).
 * `NOMEN_PARALLEL_SCAVENGE=auto|true|false` (default auto): no scavenger helper threads once the
 * server is ready when the process may run on one CPU only, or always with `false` (§24; set at
 * start it left ~3 MB more idle memory in paired runs). Throws on any other value.
 */
export function v8Tuning(env: Readonly<Record<string, string | undefined>>, cpus: number): V8Tuning {
  const t: V8Tuning = { atStart: [], whenReady: [] };
  if (env['NOMEN_HEAP_TUNING'] === 'true') {
    t.atStart.push('--semi-space-growth-factor=1');
    t.whenReady.push('--semi-space-growth-factor=2');
  }
  const scavenge = env['NOMEN_PARALLEL_SCAVENGE'] ?? 'auto';
  if (!(SCAVENGE_VALUES as readonly string[]).includes(scavenge)) {
    throw new Error(`NOMEN_PARALLEL_SCAVENGE must be one of ${SCAVENGE_VALUES.join(', ')}, got '${scavenge}'`);
  }
  if (scavenge === 'false' || (scavenge === 'auto' && cpus <= 1)) t.whenReady.push('--no-parallel-scavenge');
  return t;
}
