/**
 * Password hashing: bcrypt (the scheme Nacos stores in its `users` table, `$2a$10$…`), run only in
 * the worker threads of bcrypt-pool.ts, never on the event loop. Nacos' cost is 10.
 */

export const DEFAULT_BCRYPT_COST = 10;

/** bcrypt only reads the first 72 bytes of a password; longer ones are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;
