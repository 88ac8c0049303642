/**
 * A small Porcupine/Knossos-style linearizability checker for a per-key register.
 * History ops carry real-time call/return instants; a write whose outcome is unknown (client
 * timed out) has `ret = Infinity`, so it may take effect at any point after its call — or never
 * observably (linearized last). Reads that never returned are simply not recorded.
 *
 * Algorithm: Wing & Gong's search with memoisation of (linearized set, register value), as in
 * Lowe's "Testing for linearizability" and Porcupine. Keys are checked independently
 * (a register per key is a P-compositional model).
 */
export interface RegOp {
  kind: 'w' | 'r';
  key: string;
  value: string | null;
  call: number;
  ret: number;
  client: number;
}

export type LinResult = { ok: true; explored: number } | { ok: false; key: string; ops: RegOp[]; explored: number };

export function checkLinearizable(history: readonly RegOp[], maxExplored = 2_000_000): LinResult {
  const byKey = new Map<string, RegOp[]>();
  for (const op of history) {
    let l = byKey.get(op.key);
    if (!l) byKey.set(op.key, (l = []));
    l.push(op);
  }
  let explored = 0;
  for (const [key, ops] of byKey) {
    const r = checkKey(ops, maxExplored - explored);
    explored += r.explored;
    if (!r.ok) return { ok: false, key, ops, explored };
  }
  return { ok: true, explored };
}

function checkKey(ops: readonly RegOp[], budget: number): { ok: boolean; explored: number } {
  const n = ops.length;
  const done = new Array<boolean>(n).fill(false);
  const seen = new Set<string>();
  let explored = 0;
  const mask = (): string => done.map((d) => (d ? '1' : '0')).join('');

  const dfs = (state: string | null, left: number): boolean => {
    if (left === 0) return true;
    if (++explored > budget) throw new Error('linearizability: search budget exhausted');
    const memo = `${mask()}|${state ?? '\u0000'}`;
    if (seen.has(memo)) return false;
    seen.add(memo);
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && ops[i]!.ret < minRet) minRet = ops[i]!.ret;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const op = ops[i]!;
      // Only an op that was invoked before every remaining op returned may go next.
      if (!(op.call < minRet) && !(op.ret === minRet && op.call <= minRet)) continue;
      let next: string | null;
      if (op.kind === 'w') next = op.value;
      else if (op.value === state) next = state;
      else continue;
      done[i] = true;
      if (dfs(next, left - 1)) return true;
      done[i] = false;
    }
    return false;
  };
  const ok = dfs(null, n);
  return { ok, explored };
}
