/**
 * A wiped member catching up from the leader's snapshot (docs/raft.md "Snapshot transfer"): a
 * 3-member cluster is filled with N persistent instances (compacting every `--snapshot-entries`
 * entries, so the leader's log no longer holds the start), one follower is killed, its data
 * directory removed and the member started again. Measured until it is ready and has applied the
 * leader's commit index: the time, how many snapshots the leader sent and how many characters
 * they carried, the bytes on the member streams, and the CPU of the leader and of the new member.
 *
 *   node --import tsx bench/tools/snapshot-catchup.ts [--instances 50000] [--rounds 2]
 *        [--snapshot-entries 5000] [--dist DIR] [--property k=v ...] [--keep-logs] [--cpu-prof DIR]
 *
 * `--cpu-prof DIR`: the members run with --cpu-prof (stopped with SIGTERM at the end, so the
 * profiles are written; the restarted member's profile covers its catch-up).
 *
 * The members are not pinned (the catch-up is one leader sending to one follower); loopback only,
 * instances use 127.x addresses with health checks off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, freeMemberPorts, installCleanup, ROOT, sleep } from '../lib/proc.js';

function argValue(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}
function argValues(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === name && process.argv[i + 1] !== undefined) out.push(process.argv[i + 1]!);
  });
  return out;
}

const INSTANCES = Number(argValue('--instances') ?? 50_000);
const ROUNDS = Number(argValue('--rounds') ?? 2);
const SNAPSHOT_ENTRIES = Number(argValue('--snapshot-entries') ?? 5000);
const DIST = argValue('--dist') ?? join(ROOT, 'dist');
const PROPS = argValues('--property');
const KEEP_LOGS = process.argv.includes('--keep-logs');
const CPU_PROF = argValue('--cpu-prof');

installCleanup();
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function http(port: number, method: string, path: string, timeoutMs = 15_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

interface RaftState {
  role: string;
  commitIndex: number;
  appliedIndex: number;
  snapshotIndex: number;
  link: Record<string, number> | null;
}

interface Member {
  name: string;
  port: number;
  dir: string;
  child: ChildProcess | null;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'nomen-snapcatch-'));
  const ports = await freeMemberPorts(3);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(',');
  const secret = randomBytes(32).toString('base64');
  const members: Member[] = ports.map((port, i) => ({ name: `nomen-${i}`, port, dir: join(root, `nomen-${i}`), child: null }));
  const start = (m: Member): void => {
    mkdirSync(m.dir, { recursive: true });
    const prof = CPU_PROF === null ? [] : ['--cpu-prof', '--cpu-prof-dir', CPU_PROF];
    const args = [...prof, join(DIST, 'cli.js'), 'start', '--port', String(m.port), '--host', '127.0.0.1', '--data-dir', m.dir, '--members', list];
    const props = {
      'nomen.log.level': 'warn',
      'nomen.cluster.secret': secret,
      'nacos.naming.health.enabled': 'false',
      'nomen.raft.snapshot.entries': String(SNAPSHOT_ENTRIES),
    };
    for (const [k, v] of Object.entries(props)) args.push('--property', `${k}=${v}`);
    for (const p of PROPS) args.push('--property', p);
    const fd = openSync(join(root, `${m.name}.log`), 'a');
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    children.add(child);
    child.on('exit', () => children.delete(child));
    m.child = child;
  };
  const state = async (m: Member): Promise<RaftState | null> => {
    try {
      const r = await http(m.port, 'GET', '/nacos/v1/ns/operator/raft/state', 1000);
      return r.status === 200 ? (JSON.parse(r.text) as RaftState) : null;
    } catch {
      return null;
    }
  };
  const ready = async (m: Member): Promise<boolean> => {
    try {
      return (await http(m.port, 'GET', '/nacos/v1/console/health/readiness', 500)).status === 200;
    } catch {
      return false;
    }
  };
  const leader = async (): Promise<Member | null> => {
    for (const m of members) if ((await state(m))?.role === 'leader') return m;
    return null;
  };
  const until = async (f: () => Promise<boolean>, ms: number, what: string): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };

  try {
    for (const m of members) start(m);
    await until(async () => (await leader()) !== null, 30_000, 'a leader');
    console.log(`filling ${INSTANCES} persistent instances (compaction every ${SNAPSHOT_ENTRIES} entries)...`);
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        for (let i = w; ; i += 1) {
          const n = next++;
          if (n >= INSTANCES) return;
          const m = members[i % 3]!;
          const ip = `127.${1 + Math.floor(n / 65025)}.${Math.floor(n / 255) % 255}.${1 + (n % 254)}`;
          const path = `/nacos/v1/ns/instance?serviceName=snap-catchup-${Math.floor(n / 1000)}&ip=${ip}&port=9000&ephemeral=false&metadata=${encodeURIComponent(JSON.stringify({ zone: 'z1', version: '1.0.0' }))}`;
          try {
            if ((await http(m.port, 'POST', path)).status !== 200) failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
    console.log(`filled in ${((performance.now() - t0) / 1000).toFixed(1)} s (${failed} failed)`);

    for (let round = 0; round < ROUNDS; round++) {
      let lead: Member | null = null;
      await until(
        async () => {
          lead = await leader();
          if (!lead) return false;
          const ls = await state(lead);
          const all = await Promise.all(members.map(state));
          return ls !== null && ls.snapshotIndex > 0 && all.every((s) => s !== null && s.appliedIndex >= ls.commitIndex);
        },
        60_000,
        'a caught-up cluster with a compacted leader',
      );
      // The members release a large image's garbage with a full GC once idle after the load
      // (src/app/release-garbage.ts): let that pass, so it does not fall into the catch-up.
      await sleep(10_000);
      const L = lead as unknown as Member;
      const victim = members.find((m) => m !== L)!;
      await new Promise<void>((r) => {
        victim.child!.once('exit', () => r());
        victim.child!.kill('SIGKILL');
      });
      rmSync(victim.dir, { recursive: true, force: true });
      const before = (await state(L))!;
      const leaderCpu0 = cpuSeconds(L.child!.pid!) ?? 0;
      const t1 = performance.now();
      start(victim);
      let readyAt = 0;
      await until(
        async () => {
          if (readyAt === 0 && (await ready(victim))) readyAt = performance.now() - t1;
          const [ls, vs] = await Promise.all([state(L), state(victim)]);
          return readyAt > 0 && ls !== null && vs !== null && vs.appliedIndex >= ls.commitIndex;
        },
        300_000,
        `${victim.name} caught up`,
      );
      const caughtUpMs = performance.now() - t1;
      const after = (await state(L))!;
      const leaderCpu = (cpuSeconds(L.child!.pid!) ?? 0) - leaderCpu0;
      const victimCpu = cpuSeconds(victim.child!.pid!) ?? 0;
      // Let snapshots still queued for the member arrive, and count them too.
      await sleep(3000);
      const late = (await state(L))!;
      const d = (k: string, s: RaftState = after): number => (s.link?.[k] ?? 0) - (before.link?.[k] ?? 0);
      console.log(
        `round ${round}: ${victim.name} (wiped) ready after ${readyAt.toFixed(0)} ms, caught up after ${caughtUpMs.toFixed(0)} ms; ` +
          `leader sent ${d('snapshotsSent')} snapshot(s) (${d('snapshotsSent', late)} incl. 3 s later), ${(d('snapshotChars') / 1e6).toFixed(1)} M image chars` +
          `${after.link?.['snapshotWireBytes'] !== undefined ? `, ${(d('snapshotWireBytes') / 1e6).toFixed(1)} MB on the wire` : ''}; ` +
          `CPU during catch-up: leader ${(leaderCpu * 1000).toFixed(0)} ms, new member ${(victimCpu * 1000).toFixed(0)} ms (incl. its start)`,
      );
    }
  } finally {
    for (const m of members) m.child?.kill(CPU_PROF === null ? 'SIGKILL' : 'SIGTERM');
    await sleep(CPU_PROF === null ? 200 : 5000);
    if (KEEP_LOGS) console.log(`members' logs kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
