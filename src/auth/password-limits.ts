/**
 * The limits of password checking (docs/auth.md "Password checks"), each read from its config key
 * (`src/config/keys.ts`, which holds the defaults).
 */
import { CONFIG_KEYS, type ConfigKey } from '../config/keys.js';

export interface PasswordCheckLimits {
  readonly bcryptWorkers: number;
  readonly bcryptMaxQueue: number;
  readonly bcryptNice: number;
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly maxFailuresPerSource: number;
  readonly maxFailuresPerUser: number;
  readonly lockoutWindowMs: number;
  readonly lockoutMs: number;
  readonly lockoutMaxTracked: number;
  readonly refusalDelayMs: number;
}

/** Every limit read through `int` (a Config's), defaulting to the keys' defaults. */
export function passwordCheckLimits(int: (key: ConfigKey) => number = (k) => Number(CONFIG_KEYS[k].default)): PasswordCheckLimits {
  return {
    bcryptWorkers: int('nomen.auth.bcrypt.workers'),
    bcryptMaxQueue: int('nomen.auth.bcrypt.max-queue'),
    bcryptNice: int('nomen.auth.bcrypt.nice'),
    cacheTtlMs: int('nomen.auth.cache.ttl-ms'),
    cacheMaxEntries: int('nomen.auth.cache.max-entries'),
    maxFailuresPerSource: int('nomen.auth.lockout.source.max-failures'),
    maxFailuresPerUser: int('nomen.auth.lockout.user.max-failures'),
    lockoutWindowMs: int('nomen.auth.lockout.window-ms'),
    lockoutMs: int('nomen.auth.lockout.duration-ms'),
    lockoutMaxTracked: int('nomen.auth.lockout.max-tracked'),
    refusalDelayMs: int('nomen.auth.refusal-delay-ms'),
  };
}
