/**
 * In-process micro-benchmark of the register use case (`NamingService.registerConnectionInstance`,
 * the part of the gRPC register path below the transport), in the gRPC register load's pattern:
 * 32 connections × 50 services each, every call a new 127.x address, a fresh ServiceKey per call
 * (as the gRPC handler builds one per request). Prints the CPU per call of each round.
 * Less noisy than the full bench on a shared machine: no sockets, one thread, CPU time only.
 *
 *   node --import tsx bench/tools/register-usecase.ts [calls=300000] [rounds=5]
 */
import { cpuUsage } from 'node:process';
import { namingFixture } from '../../test/unit/helpers/naming-fixture.js';

const calls = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 5);
const f = namingFixture();
let k = 0;
function one(): void {
  const c = k % 32;
  const s = Math.floor(k / 32) % 50;
  const n = Math.floor(k / 1600);
  f.naming.registerConnectionInstance(
    `conn-${c}`,
    { namespace: 'public', group: 'DEFAULT_GROUP', name: `bench-reg-${c}-${s}` },
    { ip: `127.${(c >> 8) & 255}.${c & 255}.${(n % 250) + 1}`, port: 9000 + c },
  );
  k++;
}
for (let i = 0; i < calls; i++) one(); // warm-up
const perCall: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t0 = cpuUsage();
  for (let i = 0; i < calls; i++) one();
  const d = cpuUsage(t0);
  perCall.push(((d.user + d.system) / calls) * 1000);
}
perCall.sort((a, b) => a - b);
process.stdout.write(`register use case, ns CPU per call: median ${perCall[Math.floor(perCall.length / 2)]!.toFixed(0)} (${perCall.map((v) => v.toFixed(0)).join(' ')})\n`);
