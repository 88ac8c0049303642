/**
 * Nomen standalone benchmark orchestrator (`npm run bench [-- --quick]`). See bench/README.md.
 *
 * Everything runs on loopback. The servers under test (Nomen and the bare baselines) are child
 * processes pinned to CPU 0; every load generator is a separate child pinned to CPU 1; this
 * orchestrator pins itself to CPU 1 as well (it only waits while load runs). Nomen and its baseline
 * are measured in alternating rounds (base, Nomen, Nomen, base, ...) so that a slow or noisy
 * stretch of the shared machine hits both, and every ratio is taken between measurements made
 * next to each other. Every phase is bounded by counts and deadlines; every child we start is
 * killed when this process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_KEYS } from '../src/config/keys.js';
import { parseCli, type ScenarioName } from './lib/cli.js';
import { LOAD_CPU, progress, quiet, startScript, startServer, type Ctx } from './lib/context.js';
import { peerRows } from './lib/compare.js';
import { writeOutputs } from './lib/output.js';
import { startPeer } from './lib/peer-server.js';
import { BENCH_DIR, canPin, cpuCount, hasTaskset, installCleanup, pinSelf } from './lib/proc.js';
import { machineInfo } from './lib/report.js';
import type { PeerServer } from './peers/common.js';
import { ensurePeers, packageVersion } from './peers/install.js';
import { startBaselines, type Baselines } from './scenarios/baseline.js';
import { runConfigMemory, runConfigPush, runConfigRead, runPeerConfigMemory, runPeerConfigPush } from './scenarios/config.js';
import { runGrpcComparison } from './scenarios/grpc.js';
import { runHttpComparison } from './scenarios/http.js';
import { runMemory, runPeerMemory } from './scenarios/memory.js';
import { runPasswordFlood } from './scenarios/password-flood.js';
import { runPeerLoads } from './scenarios/peer-loads.js';
import { runPeerPush, runPush, runPushWindow0 } from './scenarios/push.js';
import { runRaft } from './scenarios/raft.js';
import { runPeerStartup, runStartup } from './scenarios/startup.js';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const mode = cli.mode;
  installCleanup();
  const machine = machineInfo();
  const pinned = canPin() && pinSelf(LOAD_CPU);
  const date = new Date().toISOString().slice(0, 10);
  const tmp = mkdtempSync(join(tmpdir(), 'nomen-bench-'));
  const logDir = join(BENCH_DIR, 'results', `logs-${date}-${mode.name}`);
  const pushDelayMs = cli.pushDelayMs ?? Number(CONFIG_KEYS['nacos.naming.push.pushTaskDelay'].default);
  const serverProps: Record<string, string> = {};
  if (cli.pushDelayMs !== null) serverProps['nacos.naming.push.pushTaskDelay'] = String(cli.pushDelayMs);
  const ctx: Ctx = { cli, mode, rows: [], raw: {}, notes: [], tmp, logDir, pushDelayMs, serverProps, compared: [] };
  if (!pinned) {
    ctx.notes.push(hasTaskset() ? `only ${cpuCount()} CPU(s): server and load generators share cores` : 'taskset not found: server and load generators are not pinned');
  }
  progress(`mode ${mode.name}; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit}; pinned=${pinned}`);
  if (cli.peers.length > 0) {
    const { ok, problems } = ensurePeers(cli.peers, progress);
    for (const m of problems) ctx.notes.push(`peers: ${m}`);
    cli.peers = ok;
    ctx.raw.peerVersions = Object.fromEntries(ok.map((p) => [p, packageVersion(p === 'etcd' ? 'etcd-server' : 'zookeeper')]));
  }
  const errors: Record<string, string> = {};
  const attempt = async (name: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      errors[name] = msg;
      progress(`FAILED ${name}: ${msg}`);
      ctx.notes.push(`scenario ${name} FAILED: ${msg.split('\n')[0]}`);
    }
  };

  try {
    const startups: number[] = [];
    const has = (s: ScenarioName): boolean => cli.only.has(s);
    if (has('register') || has('query') || has('http') || has('push')) {
      await attempt('nomen scenarios', async () => {
        await quiet(ctx, 'nomen start');
        const server = await startServer(ctx, 'main');
        startups.push(server.readyMs);
        progress(`nomen ready in ${server.readyMs.toFixed(0)} ms (pid ${server.pid}, http ${server.port}, grpc ${server.grpcAddress})`);
        let base: Baselines = {};
        try {
          if (has('baseline') && (has('register') || has('query') || has('http'))) {
            base = await startBaselines(ctx);
            progress(`baselines ready: bare gRPC echo ${base.echo?.target}, bare node:http ${base.http?.base}`);
          }
          if (has('register') || has('query') || has('http')) {
            // The 100-host service for b and c, held by one connection for the whole phase.
            const { p: holder } = await startScript(
              ctx,
              'load/hold.ts',
              { target: server.grpcAddress, connections: 1, servicesPerConn: 1, instancesPerService: 100, prefix: 'bench-100', maxLifetimeMs: 1_800_000 },
              LOAD_CPU,
              60_000,
            );
            try {
              await attempt('a./b. gRPC', () => runGrpcComparison(ctx, server, base));
              if (has('http')) await attempt('c. HTTP', () => runHttpComparison(ctx, server, base));
              if (cli.peers.length > 0 && (has('register') || has('query'))) {
                await attempt('a./b. peers', async () => {
                  const peers: PeerServer[] = [];
                  try {
                    for (const p of cli.peers) peers.push(await startPeer(ctx, p, 'load'));
                    await runPeerLoads(ctx, server, peers);
                  } finally {
                    for (const p of peers) await p.stop();
                  }
                });
              }
            } finally {
              await holder.stop();
            }
          }
        } finally {
          await base.echo?.p.stop();
          await base.http?.p.stop();
        }
        try {
          if (has('push')) await attempt('d. push', () => runPush(ctx, server));
          if (!server.alive()) throw new Error('nomen died during the scenarios; see its log');
        } finally {
          await server.stop();
        }
      });
    }
    if (has('push')) await attempt('d. push, window 0', () => runPushWindow0(ctx));
    if (has('push')) for (const p of cli.peers) await attempt(`d. ${p} watches`, () => runPeerPush(ctx, p));
    if (has('memory')) await attempt('e. memory', () => runMemory(ctx));
    if (has('memory')) for (const p of cli.peers) await attempt(`e. ${p} memory`, () => runPeerMemory(ctx, p));
    if (has('startup')) {
      progress(`f. start → ready, ${mode.startupRuns} runs`);
      await attempt('f. startup', () => runStartup(ctx, startups));
      for (const p of cli.peers) await attempt(`f. ${p} startup`, () => runPeerStartup(ctx, p));
    }
    if (has('password-flood')) await attempt('g. password flood', () => runPasswordFlood(ctx));
    if (has('config-read') || has('config-push')) await attempt('h./i. config', () => configScenarios(ctx));
    if (has('config-push')) for (const p of cli.peers) await attempt(`i. ${p} config watches`, () => runPeerConfigPush(ctx, p));
    if (has('config-memory')) {
      await attempt('j. config memory', () => runConfigMemory(ctx));
      for (const p of cli.peers) await attempt(`j. ${p} config memory`, () => runPeerConfigMemory(ctx, p));
    }
    if (has('raft')) await attempt('k. persistent writes', () => runRaft(ctx));
    peerRows(ctx);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  writeOutputs(ctx, { machine, pinned, date, errors });
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

/** h. config read (with the peers) and i. config push on one Nomen server. */
async function configScenarios(ctx: Ctx): Promise<void> {
  await quiet(ctx, 'nomen start (config)');
  const server = await startServer(ctx, 'config');
  try {
    if (ctx.cli.only.has('config-read')) {
      const peers: PeerServer[] = [];
      try {
        for (const p of ctx.cli.peers) peers.push(await startPeer(ctx, p, 'config-read'));
        await runConfigRead(ctx, server, peers);
      } finally {
        for (const p of peers) await p.stop();
      }
    }
    if (ctx.cli.only.has('config-push')) await runConfigPush(ctx, server);
    if (!server.alive()) throw new Error('nomen died during the config scenarios; see its log');
  } finally {
    await server.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
