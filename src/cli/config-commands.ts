/**
 * The `nomen config …` command group (docs/operations.md "CLI"): flags are checked here with zod
 * (a bad flag is a usage error, exit 2), the work is done by ./config.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { AdminError, type AdminFlags, type AdminOptions } from './admin.js';
import {
  configGet,
  configHistory,
  configHistoryEntry,
  configRemove,
  configRollback,
  configSet,
  contentOf,
  formatConfig,
  formatHistory,
  formatHistoryEntry,
  formatRemove,
  formatRollback,
  formatSet,
  type ConfigRef,
} from './config.js';

export const EXIT_USAGE = 2;

type AdminCommand = (name: string, description: string, parent?: Command) => Command;
type Run = <T>(f: AdminFlags, work: () => Promise<T>, format: (v: T) => string) => Promise<void>;

interface KeyFlags extends AdminFlags {
  group?: string;
  namespace?: string;
}

const HistoryId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'a history id is a positive whole number (the ID column of `nomen config history`)');
const Limit = z.coerce.number().int().min(1).max(10_000);

/** A flag value checked with `schema`; a bad one is a usage error. */
function flag<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AdminError(`${name}: ${r.error.issues[0]?.message ?? 'invalid value'}`, EXIT_USAGE);
  return r.data;
}

const refOf = (dataId: string, f: KeyFlags): ConfigRef => ({ dataId, group: f.group, namespace: f.namespace });

/** Standard input as UTF-8 text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

export function configCommands(program: Command, adminCommand: AdminCommand, run: Run, adminOptions: (f: AdminFlags) => AdminOptions): void {
  const group = program.command('config').description('read and change configs of a running member: get, set, rm, history');
  // Commander's usage errors (missing argument, unknown option) exit 2 here, like a bad flag value.
  group.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));
  const keyed = (name: string, description: string): Command =>
    adminCommand(name, description, group)
      .argument('<dataId>', 'the config\'s data id')
      .option('-g, --group <name>', 'group (default: DEFAULT_GROUP)')
      .option('-n, --namespace <id>', 'namespace id (default: public)');

  keyed('get', 'print the content of a config (--json: all its fields)').action(async (dataId: string, f: KeyFlags) => {
    await run(f, () => configGet({ ...adminOptions(f), ...refOf(dataId, f) }), formatConfig);
  });

  keyed('set', 'publish a config from --content, --file or standard input')
    .option('--content <text>', 'the content')
    .option('--file <path>', 'read the content from this file')
    .option('--type <type>', 'text, json, xml, yaml, html or properties (default: text)')
    .option('--cas-md5 <md5>', 'publish only if the current content has this md5 (exit 4 otherwise)')
    .option('--desc <text>', 'description')
    .option('--tags <a,b>', 'config tags (comma-separated)')
    .option('--app <name>', 'application name')
    .action(async (dataId: string, f: KeyFlags & { content?: string; file?: string; type?: string; casMd5?: string; desc?: string; tags?: string; app?: string }) => {
      await run(
        f,
        async () => {
          const content = await contentOf(f, { stdinIsTty: process.stdin.isTTY === true, readFile: (p) => readFile(p, 'utf8'), readStdin });
          return configSet({ ...adminOptions(f), ...refOf(dataId, f), content, type: f.type, casMd5: f.casMd5, desc: f.desc, tags: f.tags, app: f.app });
        },
        formatSet,
      );
    });

  keyed('rm', 'remove a config (and its gray variants); a missing config is not an error').action(async (dataId: string, f: KeyFlags) => {
    await run(f, () => configRemove({ ...adminOptions(f), ...refOf(dataId, f) }), formatRemove);
  });

  keyed('history', 'list the changes of a config, newest first; --id N shows one, --rollback N undoes one')
    .option('--limit <n>', 'at most this many rows', '20')
    .option('--id <n>', 'show this history row with its content')
    .option('--rollback <n>', 'bring back the config as it was before this change')
    .action(async (dataId: string, f: HistoryFlags) => {
      let action: () => Promise<void>;
      try {
        action = historyAction({ ...adminOptions(f), ...refOf(dataId, f) }, f, run);
      } catch (e) {
        // A bad flag: reported like any other failure (one line, its exit code).
        action = () => run(f, () => Promise.reject(e), () => '');
      }
      await action();
    });
}

interface HistoryFlags extends KeyFlags {
  limit: string;
  id?: string;
  rollback?: string;
}

/** The history mode the flags ask for, flags checked (throws a usage error). */
function historyAction(ref: AdminOptions & ConfigRef, f: HistoryFlags, run: Run): () => Promise<void> {
  if (f.id !== undefined && f.rollback !== undefined) throw new AdminError('--id and --rollback: give one of them', EXIT_USAGE);
  if (f.id !== undefined) {
    const id = flag('--id', HistoryId, f.id);
    return () => run(f, () => configHistoryEntry({ ...ref, id }), formatHistoryEntry);
  }
  if (f.rollback !== undefined) {
    const id = flag('--rollback', HistoryId, f.rollback);
    return () => run(f, () => configRollback({ ...ref, id }), formatRollback);
  }
  const limit = flag('--limit', Limit, f.limit);
  return () => run(f, () => configHistory({ ...ref, limit }), formatHistory);
}
