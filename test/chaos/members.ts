/**
 * Real members (`node dist/cli.js start`), each inside its own network namespace on the default
 * ports (8848 HTTP, 9848 SDK gRPC, 9849 cluster) at `memberIp(i)`, with a shared cluster secret.
 * Peer traffic (HTTP forwards and the cluster port) goes through one `LinkProxy` per directed link.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, artifactPath, safeWrite, sleep, waitForExit, endLog } from '../integration/helpers/server.js';
import { faketimeEnv, writeOffset } from './clock.js';
import { call } from './http.js';
import { memberIp, nsName, proxyEgressIp, ROOT_IP, routeViaProxy } from './net.js';
import { LinkProxy } from './proxy.js';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');
export const PEER_PORTS = [8848, 9849] as const;

export class Member {
  child: ChildProcess | null = null;
  paused = false;
  starts = 0;
  /** The wall-clock offset the member runs with (s; 0 unless a clock-jump fault holds). */
  clockOffsetS = 0;
  private readonly log: WriteStream;

  constructor(
    readonly index: number,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly members: string,
    private readonly secret: string,
    private readonly properties: Record<string, string>,
    /** libfaketime, when clock jumps are injected: the member then honours its own offset file. */
    private readonly faketimeLib: string | null = null,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  /** Outside the data directory, so a wipe keeps it. */
  get clockFile(): string {
    return `${this.dataDir}.clock`;
  }

  get jumpsClock(): boolean {
    return this.faketimeLib !== null;
  }

  /** Steps the member's wall clock to `offsetS` from the real one (within about 2 s: libfaketime's cache). */
  setClockOffset(offsetS: number): void {
    if (!this.faketimeLib) throw new Error('clock jumps need libfaketime');
    writeOffset(this.clockFile, offsetS);
    this.clockOffsetS = offsetS;
  }

  get ip(): string {
    return memberIp(this.index);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the member. `join` starts it in Raft join mode (`--join`), the documented procedure
   * after a lost disk (docs/operations.md): it waits for the leader instead of bootstrapping.
   */
  spawn(join = false): void {
    if (this.running) throw new Error(`member ${this.index} already runs`);
    this.starts++;
    mkdirSync(this.dataDir, { recursive: true });
    const fake = this.faketimeLib ? faketimeEnv(this.faketimeLib, this.clockFile) : {};
    if (this.faketimeLib) this.setClockOffset(this.clockOffsetS);
    const args = ['netns', 'exec', nsName(this.index), process.execPath, CLI, 'start', '--host', this.ip, '--data-dir', this.dataDir, '--members', this.members];
    for (const [k, v] of Object.entries(this.properties)) args.push('--property', `${k}=${v}`);
    if (join) args.push('--join');
    safeWrite(this.log, `\n===== start #${this.starts} at ${new Date().toISOString()}\n`);
    // `ip netns exec` execs the command: the child's pid is the server's own pid (signals reach it).
    const child = spawn('ip', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...fake, NOMEN_CLUSTER_SECRET: this.secret } });
    this.child = child;
    this.paused = false;
    child.stdout?.on('data', (b: Buffer) => safeWrite(this.log, b));
    child.stderr?.on('data', (b: Buffer) => safeWrite(this.log, b));
    child.once('exit', (code, sig) => safeWrite(this.log, `\n===== exited code=${String(code)} signal=${String(sig)} at ${new Date().toISOString()}\n`));
  }

  note(text: string): void {
    safeWrite(this.log, `\n===== chaos: ${text} at ${new Date().toISOString()}\n`);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child!.kill(sig);
  }

  async kill9(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    c.kill('SIGKILL');
    await waitForExit(c, 10_000);
    this.paused = false;
  }

  wipe(): void {
    if (this.running) throw new Error(`member ${this.index} runs: cannot wipe`);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async readiness(): Promise<number | null> {
    try {
      return (await call(this.ip, 'GET', '/nacos/v1/console/health/readiness', {}, 1500)).status;
    } catch {
      return null;
    }
  }

  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      if ((await this.readiness()) === 200) return true;
      await sleep(250);
    }
    return false;
  }

  async dispose(): Promise<void> {
    if (this.paused) this.signal('SIGCONT');
    await this.kill9();
    await endLog(this.log);
  }
}

export class ChaosCluster {
  readonly members: Member[] = [];
  /** proxies[i][j]: member i → member j, one per peer port. */
  readonly proxies: LinkProxy[][][] = [];
  readonly secret = randomBytes(32).toString('base64');

  constructor(
    readonly n: number,
    readonly root: string,
    readonly tag: string,
    properties: Record<string, string>,
    faketimeLib: string | null = null,
  ) {
    const list = Array.from({ length: n }, (_, i) => `${memberIp(i)}:8848`).join(',');
    for (let i = 0; i < n; i++) {
      this.members.push(new Member(i, join(root, `m${i}`), artifactPath(`chaos-${tag}-m${i}.log`), list, this.secret, properties, faketimeLib));
    }
  }

  /** Starts the link proxies and points every member's peer traffic at them. */
  async startProxies(random: () => number): Promise<void> {
    for (let i = 0; i < this.n; i++) {
      const row: LinkProxy[][] = [];
      for (let j = 0; j < this.n; j++) {
        const perPort: LinkProxy[] = [];
        if (i !== j) {
          for (const [k, port] of PEER_PORTS.entries()) {
            const listenPort = 15000 + i * 100 + j * 10 + k;
            const p = new LinkProxy(ROOT_IP, listenPort, memberIp(j), port, proxyEgressIp(i), random);
            await p.start();
            routeViaProxy(i, j, port, listenPort);
            perPort.push(p);
          }
        }
        row.push(perPort);
      }
      this.proxies.push(row);
    }
  }

  link(i: number, j: number): LinkProxy[] {
    return this.proxies[i]?.[j] ?? [];
  }

  get allLinks(): LinkProxy[] {
    return this.proxies.flat(2);
  }

  async startAll(timeoutMs: number): Promise<void> {
    for (const m of this.members) m.spawn();
    const ok = await Promise.all(this.members.map((m) => m.waitReady(timeoutMs)));
    const bad = ok.flatMap((r, i) => (r ? [] : [i]));
    if (bad.length > 0) throw new Error(`members ${bad.join(',')} not ready after ${timeoutMs} ms; see test-artifacts/chaos-${this.tag}-m*.log`);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.dispose()));
    await Promise.allSettled(this.allLinks.map((p) => p.close()));
    rmSync(this.root, { recursive: true, force: true });
  }
}
