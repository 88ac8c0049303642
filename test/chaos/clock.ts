/**
 * Clock jumps for one member alone (docs/reliability.md "Faults", `clock-jump`): every member runs
 * under libfaketime (Debian package `faketime`) with its own offset file. `DONT_FAKE_MONOTONIC=1`
 * leaves CLOCK_MONOTONIC alone, as a real NTP step does, so only the wall clock (`Date.now()`) of
 * that process moves. libfaketime rereads the file when its cache (`FAKETIME_CACHE_DURATION=1`,
 * counted in whole seconds) runs out, so a new offset takes effect within about 2 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu/faketime', '/usr/lib/aarch64-linux-gnu/faketime', '/usr/lib/faketime', '/usr/local/lib/faketime'];

/** libfaketime.so.1 where Debian and Ubuntu put it, or null. */
export function findFaketimeLib(): string | null {
  for (const d of LIB_DIRS) {
    const p = join(d, 'libfaketime.so.1');
    if (existsSync(p)) return p;
  }
  return null;
}

/** The environment that makes a process honour `offsetFile` for its wall clock only. */
export function faketimeEnv(lib: string, offsetFile: string): Record<string, string> {
  return { LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: offsetFile, DONT_FAKE_MONOTONIC: '1', FAKETIME_CACHE_DURATION: '1' };
}

/** Writes a relative offset in libfaketime's syntax ("+120s", "-120s", "+0s"). */
export function writeOffset(file: string, offsetS: number): void {
  writeFileSync(file, `${offsetS < 0 ? '-' : '+'}${Math.abs(offsetS)}s\n`);
}

/**
 * Finds libfaketime (installing the `faketime` package when it is missing) and proves that it
 * works for node here: a child under it with a +3600 s file sees Date.now() an hour ahead while
 * its monotonic clock (a timer, performance.now()) is untouched, and a new offset written while
 * it runs is picked up. Returns the library path, or why clock jumps cannot be injected.
 */
export function prepareFaketime(log: (line: string) => void): { lib: string } | { skip: string } {
  let lib = findFaketimeLib();
  if (!lib) {
    log('installing faketime (libfaketime, for the clock-jump fault)');
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['install', '-y', '-qq', 'faketime'], { stdio: 'inherit', env });
    } catch {
      return { skip: 'the faketime package is not installed and `apt-get install -y faketime` failed' };
    }
    lib = findFaketimeLib();
    if (!lib) return { skip: `libfaketime.so.1 not found in ${LIB_DIRS.join(', ')}` };
  }
  const file = join(tmpdir(), `nchaos-faketime-check-${process.pid}`);
  writeOffset(file, 3600);
  const script = `
    const real = Number(process.argv[1]);
    const first = Date.now() - real;
    const p0 = performance.now();
    require('node:fs').writeFileSync(process.argv[2], '-120s\\n');
    setTimeout(() => console.log(JSON.stringify({ first, second: Date.now() - real, mono: performance.now() - p0 })), 2600);`;
  const r = spawnSync(process.execPath, ['-e', script, String(Date.now()), file], { env: { ...process.env, ...faketimeEnv(lib, file) }, encoding: 'utf8', timeout: 20_000 });
  try {
    const v = JSON.parse(r.stdout.trim()) as { first: number; second: number; mono: number };
    const ok = Math.abs(v.first - 3_600_000) < 10_000 && Math.abs(v.second + 120_000) < 10_000 && v.mono >= 2500 && v.mono < 15_000;
    if (!ok) return { skip: `libfaketime check failed: Date.now() offsets ${v.first} ms then ${v.second} ms (want ≈ +3600000, −120000), monotonic ${v.mono.toFixed(0)} ms (want ≈ 2600)` };
    log(`clock jumps: libfaketime works (${lib}): Date.now() +${Math.round(v.first / 1000)} s, then ${Math.round(v.second / 1000)} s after a rewrite; monotonic untouched (${v.mono.toFixed(0)} ms timer)`);
    return { lib };
  } catch {
    return { skip: `libfaketime check failed: ${r.error?.message ?? `exit ${String(r.status)}`} ${r.stderr.slice(0, 300)}` };
  } finally {
    rmSync(file, { force: true });
  }
}
