/**
 * The builds of the A/B tools (bench/tools/register-ab.ts, bench/tools/push-ab.ts): each is a
 * Nomen directory with a `dist/cli.js`, started as its own server pinned to CPU 0, with its own
 * environment variables and node options.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canPin, freePortPair, httpGet, startProcess, type ProcessHandle } from './proc.js';

export interface Build {
  label: string;
  dir: string;
  env: Record<string, string>;
  /** Node options for the server (`--trace-gc`...). */
  nodeArgs: string[];
}

/** `<label>=<dir>[,K=V|--node-option...]`, e.g. `http2=.,NOMEN_SDK_TRANSPORT=http2`. */
export function parseBuild(a: string): Build {
  const eq = a.indexOf('=');
  if (eq <= 0) throw new Error(`expected <label>=<dir>, got ${a}`);
  const [dir, ...envs] = a.slice(eq + 1).split(',');
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  for (const kv of envs) {
    if (kv.startsWith('--')) {
      nodeArgs.push(kv);
      continue;
    }
    const e = kv.indexOf('=');
    if (e <= 0) throw new Error(`bad env ${kv}`);
    env[kv.slice(0, e)] = kv.slice(e + 1);
  }
  return { label: a.slice(0, eq), dir: resolve(dir!), env, nodeArgs };
}

/** Starts a build standalone (data and log under `tmp`); resolves when it is ready. */
export async function startBuild(b: Build, tmp: string, cpuProf: string | null, properties: Record<string, string> = {}): Promise<{ p: ProcessHandle; grpc: string }> {
  const port = await freePortPair();
  const args = [
    ...b.nodeArgs,
    ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProf, b.label)}`] : []),
    join(b.dir, 'dist', 'cli.js'),
    'start',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--data-dir',
    join(tmp, `${b.label}-data`),
    '--standalone',
    ...Object.entries(properties).flatMap(([k, v]) => ['--property', `${k}=${v}`]),
  ];
  const base = `http://127.0.0.1:${port}`;
  const p = await startProcess({
    name: b.label,
    cmd: process.execPath,
    args,
    cwd: b.dir,
    env: { ...process.env, ...b.env },
    logFile: join(tmp, `${b.label}.log`),
    cpu: canPin() ? 0 : null,
    ready: async () => (await httpGet(`${base}/nacos/v1/console/health/readiness`, 500)).status === 200,
  });
  return { p, grpc: `127.0.0.1:${port + 1000}` };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Stops the servers, then removes their data and logs unless `keep` (then says where they are). */
export async function stopBuilds(servers: readonly { p: ProcessHandle }[], tmp: string, keep: boolean): Promise<void> {
  for (const s of servers) await s.p.stop();
  if (keep) console.log(`logs and data kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}

/** Runs a tool's main; an error is printed and exits 1. */
export function runTool(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
