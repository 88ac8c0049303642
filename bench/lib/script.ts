/**
 * The child side of the orchestrator protocol: arguments arrive as one JSON argv, events leave as
 * JSON lines on stdout (`{"event":"ready",...}`, `{"event":"result",...}`, `{"event":"error",...}`),
 * and the orchestrator says "stop" by ending stdin. Every script also has a hard deadline.
 */

export function emit(event: string, data: object = {}): void {
  process.stdout.write(JSON.stringify({ event, ...data }) + '\n');
}

export function log(msg: string): void {
  emit('log', { msg });
}

export function scriptArgs<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('expected one JSON argument');
  return JSON.parse(raw) as T;
}

/** Exits with code 3 after `ms` no matter what (a bench must never hang). */
export function hardDeadline(ms: number): void {
  setTimeout(() => {
    emit('error', { message: `hard deadline of ${ms} ms reached` });
    process.exit(3);
  }, ms).unref();
}

/** Resolves when the orchestrator ends our stdin (or writes "stop"). */
export function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    process.stdin.on('data', (d: Buffer) => {
      if (d.toString('utf8').includes('stop')) finish();
    });
    process.stdin.on('end', finish);
    process.stdin.on('error', finish);
    process.stdin.resume();
  });
}

/** Arguments common to the holders (hold.ts, peer-hold.ts): the memory scenario's layout. */
export interface HoldArgs {
  connections: number;
  servicesPerConn: number;
  instancesPerService: number;
  prefix: string;
  maxLifetimeMs: number;
}

/** The holders' `ready` event: what was loaded and how fast (ms are performance.now() instants). */
export function emitLoaded(services: number, perService: number, t0: number, tConnected: number, tLoaded: number): void {
  emit('ready', {
    services,
    instances: services * perService,
    connectMs: tConnected - t0,
    loadMs: tLoaded - tConnected,
    instancesPerSec: (services * perService) / ((tLoaded - tConnected) / 1000),
  });
}

/** Runs `main`, reporting a failure as an `error` event and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      emit('error', { message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      process.exit(1);
    },
  );
}
