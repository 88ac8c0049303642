import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DistroMutations } from './distro-mutants.js';
import { runSeed } from './scenario.js';

/**
 * Mutation check: with a deliberately injected bug the simulator must find an invariant break.
 * Each case runs seeds until `want` of them fail (or `max` seeds) and reports which rules fired.
 */
function hunt(mutations: DistroMutations, want: number, max: number): { caught: number; tried: number; rules: Record<string, number> } {
  const rules: Record<string, number> = {};
  let caught = 0;
  let tried = 0;
  for (let seed = 1; seed <= max && caught < want; seed++) {
    tried++;
    const r = runSeed(seed, { mutations, stopOnFirst: true });
    const v = r.violations[0];
    if (v) {
      caught++;
      rules[v.rule] = (rules[v.rule] ?? 0) + 1;
    }
  }
  return { caught, tried, rules };
}

const CASES: [string, DistroMutations, number, number][] = [
  // The owner forgets to queue the DELETE: replicas keep the client until verify (asOf) or the lease removes it.
  ['skip delete sync', { skipDeleteSync: true }, 5, 20],
  // Last message wins (Nacos): reordered or duplicated messages move replicas back to older states.
  ['apply ignores versions', { ignoreVersionOnApply: true }, 5, 30],
  // Verify sees only ids: a stale replica is never repaired (rare: syncs are retried until delivered).
  ['verify ignores versions', { verifyIgnoresVersion: true }, 1, 400],
  // Verify no longer renews leases: replicas of live owners expire.
  ['verify does not renew leases', { skipLeaseRenewal: true }, 5, 20],
];

for (const [name, mutations, want, max] of CASES) {
  test(`mutation "${name}" is caught by the simulator`, () => {
    const r = hunt(mutations, want, max);
    console.log(`mutation ${name}: ${r.caught} failing of ${r.tried} seeds tried; first rules: ${JSON.stringify(r.rules)}`);
    assert.ok(r.caught >= 1, `no invariant break found in ${r.tried} seeds`);
  });
}
