import { Command } from 'commander';
import { AdminError, formatInstances, formatServices, formatStatus, instances, services, status, type AdminFlags, type AdminOptions } from './cli/admin.js';
import { configCommands } from './cli/config-commands.js';
import { Config, ConfigError, envValues, parsePropertyArgs, readPropertiesFile } from './config/config.js';
import type { NomenServer } from './server.js';
import { VERSION } from './version.js';

/** Flag -> config key, with the flag's own env var (every flag has one). */
const FLAG_ENV: Record<string, { key: string; env: string }> = {
  port: { key: 'nacos.server.main.port', env: 'NOMEN_PORT' },
  host: { key: 'nomen.server.host', env: 'NOMEN_HOST' },
  dataDir: { key: 'nomen.data.dir', env: 'NOMEN_DATA_DIR' },
  members: { key: 'nacos.member.list', env: 'NOMEN_MEMBERS' },
  clusterConf: { key: 'nomen.cluster.conf', env: 'NOMEN_CLUSTER_CONF' },
};

interface StartOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  standalone?: boolean;
  join?: boolean;
  members?: string;
  clusterConf?: string;
  config?: string;
  property: string[];
}

export function buildConfig(opts: StartOptions, env: NodeJS.ProcessEnv): Config {
  const layers: { source: string; values: Record<string, string> }[] = [];
  const configFile = opts.config ?? env.NOMEN_CONFIG;
  if (configFile) layers.push({ source: `config file ${configFile}`, values: readPropertiesFile(configFile) });
  layers.push({ source: 'environment', values: envValues(env) });
  if (env.NOMEN_PROPERTIES) layers.push({ source: 'NOMEN_PROPERTIES', values: parsePropertyArgs(env.NOMEN_PROPERTIES.split(';').filter(Boolean)) });
  layers.push({ source: '--property', values: parsePropertyArgs(opts.property) });
  const flags: Record<string, string> = {};
  for (const [name, { key, env: envName }] of Object.entries(FLAG_ENV)) {
    const v = (opts as unknown as Record<string, string | undefined>)[name] ?? env[envName];
    if (v !== undefined && v !== '') flags[key] = v;
  }
  const standaloneEnv = env.NOMEN_STANDALONE;
  if (opts.standalone || standaloneEnv === 'true') flags['nacos.standalone'] = 'true';
  else if (flags['nacos.member.list'] || flags['nomen.cluster.conf']) flags['nacos.standalone'] = 'false';
  // --join only adds join mode; the member list still decides cluster mode (docs/operations.md).
  if (opts.join) flags['nomen.raft.join'] = 'true';
  layers.push({ source: 'flags', values: flags });
  return Config.from(layers);
}

/**
 * Parses the command line and runs it. `onReady` is called once the server is ready (the entry
 * point uses it to re-enable heap growth).
 */
export function main(onReady: () => void = () => undefined): void {
  const program = new Command();
  program.name('nomen').description('Nomen: a Nacos-compatible naming server').version(VERSION);

  program
    .command('start')
    .description('start one member')
    .option('--port <n>', 'HTTP port (SDK gRPC = port+1000, cluster = port+1001) [env NOMEN_PORT]')
    .option('--host <ip>', 'address to bind [env NOMEN_HOST]')
    .option('--data-dir <dir>', 'data directory [env NOMEN_DATA_DIR]')
    .option('--standalone', 'run as a single member [env NOMEN_STANDALONE=true]')
    .option('--members <list>', 'cluster members ip:port,... [env NOMEN_MEMBERS]')
    .option('--join', 'rejoin after a lost disk: wait to be replicated to by the leader instead of bootstrapping the member list (nomen.raft.join) [env NOMEN_RAFT_JOIN=true]')
    .option('--cluster-conf <file>', 'cluster.conf member list file [env NOMEN_CLUSTER_CONF]')
    .option('--config <file>', 'properties file [env NOMEN_CONFIG]')
    .option('--property <key=value>', 'set any config key (repeatable) [env NOMEN_PROPERTIES="k=v;k2=v2"]', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (opts: StartOptions) => {
      let config: Config;
      let server: NomenServer;
      try {
        config = buildConfig(opts, process.env);
        // Loaded here: the operator commands start without the server's modules.
        const [{ createLogger }, { NomenServer }] = await Promise.all([import('./observability/logger.js'), import('./server.js')]);
        const log = createLogger(config.str('nomen.log.level'));
        for (const k of config.unknownKeys) log.warn({ key: k }, 'unknown config key ignored');
        // Settings that only make sense together (e.g. cluster mode without nomen.cluster.secret) fail here.
        server = await NomenServer.create(config, log);
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(`nomen: ${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
      const log = server.log;
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) {
          // A second signal while draining: stop waiting (the Raft log is fsynced per write anyway).
          if (signal !== 'drain endpoint') {
            log.warn({ signal }, 'second signal during shutdown: exiting now');
            process.exit(1);
          }
          return;
        }
        stopping = true;
        log.info({ signal }, 'shutting down');
        server.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      server.exitRequested = () => shutdown('drain endpoint');
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      try {
        await server.start();
        onReady();
      } catch (err) {
        log.fatal({ err }, 'start failed');
        // Also one plain line for whoever started it (a data directory in use, a port taken, ...).
        process.stderr.write(`nomen: start failed: ${err instanceof Error ? err.message : String(err)}\n`);
        await server.stop().catch(() => undefined);
        process.exit(1);
      }
    });

  // ---- operator commands: read a running member's HTTP APIs --------------------------------------
  const adminCommand = (name: string, description: string, parent: Command = program): Command =>
    parent
      .command(name)
      .description(description)
      .option('--server <host:port>', "a member's main (HTTP) address [env NOMEN_SERVER]", process.env.NOMEN_SERVER ?? '127.0.0.1:8848')
      .option('--username <name>', 'log in first (when auth is on) [env NOMEN_USERNAME]', process.env.NOMEN_USERNAME)
      .option('--password <secret>', 'password for --username [env NOMEN_PASSWORD]', process.env.NOMEN_PASSWORD)
      .option('--token <accessToken>', 'send this accessToken instead of logging in [env NOMEN_TOKEN]', process.env.NOMEN_TOKEN)
      .option('--json', 'print JSON instead of a table');

  adminCommand('status', 'members, their states, counts (services, instances, clients, connections) and Raft roles').action(async (f: AdminFlags) => {
    await runAdmin(f, () => status(adminOptions(f)), formatStatus);
  });

  adminCommand('services', 'services of a namespace with their instance counts')
    .option('--namespace <id>', 'namespace id (default: public)')
    .option('--group <name>', 'only this group')
    .action(async (f: AdminFlags & { namespace?: string; group?: string }) => {
      await runAdmin(f, () => services({ ...adminOptions(f), namespace: f.namespace, group: f.group }), formatServices);
    });

  adminCommand('instances', 'instances of one service (healthy or not)')
    .argument('<service>', 'service name (or group@@name)')
    .option('--group <name>', 'group (default: DEFAULT_GROUP)')
    .option('--namespace <id>', 'namespace id (default: public)')
    .option('--cluster <names>', 'only these clusters (comma-separated)')
    .action(async (service: string, f: AdminFlags & { namespace?: string; group?: string; cluster?: string }) => {
      await runAdmin(f, () => instances({ ...adminOptions(f), service, namespace: f.namespace, group: f.group, cluster: f.cluster }), formatInstances);
    });

  configCommands(program, adminCommand, runAdmin, adminOptions);

  program.parseAsync(process.argv).catch((e: unknown) => {
    process.stderr.write(`nomen: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

function adminOptions(f: AdminFlags): AdminOptions {
  return { server: f.server, username: f.username, password: f.password, token: f.token, json: f.json };
}

async function runAdmin<T>(f: AdminFlags, work: () => Promise<T>, format: (v: T) => string): Promise<void> {
  try {
    const v = await work();
    process.stdout.write(f.json ? `${JSON.stringify(v, null, 2)}\n` : format(v));
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    process.stderr.write(`nomen: ${e.message}\n`);
    process.exitCode = e.exitCode;
  }
}
