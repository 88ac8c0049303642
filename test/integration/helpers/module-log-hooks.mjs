// Loader hooks of module-log.mjs (they run on the loader thread).
import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  const out = process.env.NOMEN_TEST_MODULE_LOG;
  if (out) appendFileSync(out, `${url}\n`);
  return next(url, context);
}
