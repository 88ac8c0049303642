// Preload (`--import`) for idle-modules.test.ts: records the URL of every ES module the process
// loads, one a line, in the file named by NOMEN_TEST_MODULE_LOG.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
