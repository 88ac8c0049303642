/**
 * Which HTTP clients may receive UDP pushes (docs/protocol/http.md §1.5). Nacos reads `Client-Version`, then
 * `User-Agent`, and enables push only for recognised SDKs at or above a minimum version. The Node
 * SDK `nacos-naming` sends `Nacos-Java-Client:v1.0.0` precisely to pass this check (§5.2, §8.3).
 */

const MIN_PUSH_VERSION: ReadonlyArray<readonly [prefix: string, min: string]> = [
  ['Nacos-Java-Client:v', '0.1.0'],
  ['Nacos-Go-Client:v', '0.1.0'],
  ['Nacos-C-Client:v', '1.0.12'],
  ['Nacos-CSharp-Client:v', '0.9.0'],
  ['Nacos-DNS:v', '0.4.3'],
];

/** The agent string Nacos would use: `Client-Version`, else `User-Agent`, else "". */
export function clientAgent(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  const pick = (h: string | string[] | undefined) => (Array.isArray(h) ? (h[0] ?? '') : (h ?? ''));
  const cv = pick(headers['client-version']).trim();
  return cv !== '' ? cv : pick(headers['user-agent']).trim();
}

/** Compares dotted numeric versions (`1.0.12` > `1.0.9`); non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** True when this agent is a known SDK at or above its push threshold. */
export function canPushTo(agent: string): boolean {
  for (const [prefix, min] of MIN_PUSH_VERSION) {
    if (agent.startsWith(prefix)) {
      const version = agent.slice(prefix.length).split(/[\s;-]/)[0] ?? '';
      return /^\d/.test(version) && compareVersions(version, min) >= 0;
    }
  }
  return false;
}
