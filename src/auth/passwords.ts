/**
 * Password hashing: bcrypt (the scheme Nacos stores in its `users` table, `$2a$10$…`), through
 * bcryptjs (pure JS; its async functions yield to the event loop between rounds). Nacos' cost is 10.
 */
import bcrypt from 'bcryptjs';

export const DEFAULT_BCRYPT_COST = 10;

/** bcrypt only reads the first 72 bytes of a password; longer ones are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;

export function hashPassword(password: string, cost = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(password, cost);
}

/** False for a wrong password and for anything that is not a bcrypt hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}
