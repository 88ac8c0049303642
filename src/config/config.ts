import { existsSync, readFileSync } from 'node:fs';
import { CONFIG_KEYS, envNameOf, type ConfigKey, type KeySpec } from './keys.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Typed, validated configuration. Values come from defaults < --config file < env < --property < flags. */
export class Config {
  private constructor(
    private readonly values: ReadonlyMap<ConfigKey, string>,
    readonly unknownKeys: readonly string[],
  ) {}

  int(key: ConfigKey): number {
    return Number(this.raw(key));
  }
  float(key: ConfigKey): number {
    return Number(this.raw(key));
  }
  bool(key: ConfigKey): boolean {
    return this.raw(key) === 'true';
  }
  str(key: ConfigKey): string {
    return this.raw(key);
  }
  raw(key: ConfigKey): string {
    return this.values.get(key) ?? CONFIG_KEYS[key].default;
  }
  entries(): [ConfigKey, string][] {
    return [...this.values];
  }

  /**
   * Builds the config. `layers` are applied in order, later winning. Every value is validated
   * against its key's type and range; a bad value throws a ConfigError naming the key.
   */
  static from(layers: ReadonlyArray<{ source: string; values: Record<string, string> }>): Config {
    const values = new Map<ConfigKey, string>();
    const unknown: string[] = [];
    for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) values.set(key, CONFIG_KEYS[key].default);
    for (const layer of layers) {
      for (const [k, v] of Object.entries(layer.values)) {
        if (!(k in CONFIG_KEYS)) {
          unknown.push(`${k} (${layer.source})`);
          continue;
        }
        const key = k as ConfigKey;
        values.set(key, validate(key, CONFIG_KEYS[key], v.trim(), layer.source));
      }
    }
    return new Config(values, unknown);
  }
}

function validate(key: string, spec: KeySpec, v: string, source: string): string {
  const bad = (why: string) => new ConfigError(`invalid value for ${key} from ${source}: '${v}' (${why})`);
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(v)) throw bad('expected an integer');
      const n = Number(v);
      if (spec.min !== undefined && n < spec.min) throw bad(`must be >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`must be <= ${spec.max}`);
      return String(n);
    }
    case 'float': {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw bad('expected a number');
      return String(n);
    }
    case 'bool': {
      const l = v.toLowerCase();
      if (l !== 'true' && l !== 'false') throw bad('expected true or false');
      return l;
    }
    case 'string':
      if (spec.choices && !spec.choices.includes(v)) throw bad(`expected one of ${spec.choices.join(', ')}`);
      return v;
  }
}

/** Parses a Java-style .properties file: `key=value` or `key: value`, `#`/`!` comments. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`malformed properties line: '${line}'`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export function readPropertiesFile(path: string): Record<string, string> {
  if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
  return parseProperties(readFileSync(path, 'utf8'));
}

/** Known keys set through the environment (upper snake case of the key). */
export function envValues(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(CONFIG_KEYS)) {
    const v = env[envNameOf(key)];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

/** Parses repeated `--property key=value`. */
export function parsePropertyArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new ConfigError(`--property expects key=value, got '${a}'`);
    out[a.slice(0, i).trim()] = a.slice(i + 1);
  }
  return out;
}
