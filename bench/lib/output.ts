/**
 * The outputs of a finished run: the table on stdout, bench/results/<date>[-quick][-only-...].json,
 * the peers' SVG chart, and (full runs, or quick with --docs) the section of docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOAD_CPU, SERVER_CPU, T0, type Ctx } from './context.js';
import { PEER_LABEL, peerChart, peerSummaryTable } from './compare.js';
import { BENCH_DIR, ROOT } from './proc.js';
import { markdownTable, textTable, upsertDocSection, writeJson, type Machine } from './report.js';
import { fmt } from './stats.js';
import { DRIVERS } from '../peers/drivers.js';

/** What the driver knows about the run beyond the context. */
export interface RunInfo {
  machine: Machine;
  pinned: boolean;
  /** YYYY-MM-DD of the run's start. */
  date: string;
  /** Failed scenarios by name. */
  errors: Record<string, string>;
}

export function writeOutputs(ctx: Ctx, run: RunInfo): void {
  const { cli, mode } = ctx;
  const { pushDelayMs, serverProps } = ctx;
  const { machine, pinned, date, errors } = run;
  const elapsed = (Date.now() - T0) / 1000;
  process.stdout.write(`\nNomen standalone benchmark (${mode.name}), ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit}\n\n`);
  process.stdout.write(textTable(ctx.rows) + '\n');
  const summary = peerSummaryTable(ctx);
  if (summary) process.stdout.write(`\nNomen vs ${cli.peers.map((p) => PEER_LABEL[p]).join(' vs ')} (medians of this run):\n\n${summary}\n`);
  if (ctx.notes.length) process.stdout.write('\nNotes:\n' + ctx.notes.map((n) => `  - ${n}`).join('\n') + '\n');
  process.stdout.write(`\n(${fmt(elapsed, 1)} s)\n`);

  // Partial runs (--only) never overwrite the complete run's file of the day.
  const partial = cli.complete ? '' : `-only-${[...cli.only].join('-')}`;
  const resultsName = `${date}${mode.name === 'full' ? '' : '-quick'}${partial}.json`;
  const resultsFile = join(BENCH_DIR, 'results', resultsName);
  writeJson(resultsFile, {
    date: new Date().toISOString(),
    mode: mode.name,
    machine,
    pinned,
    settings: { ...mode, pushDelayMs, serverProps },
    rows: ctx.rows,
    notes: ctx.notes,
    errors,
    raw: ctx.raw,
    elapsedSec: elapsed,
  });
  process.stdout.write(`results: ${resultsFile}\n`);
  const peerNames = cli.peers.map((p) => `${PEER_LABEL[p]} ${String((ctx.raw.peerVersions as Record<string, unknown> | undefined)?.[p] ?? '')}`.trim());
  const chart = peerChart(ctx, [
    `Nomen vs ${peerNames.join(', ')}: ${date}, ${mode.name} run, commit ${machine.commit}`,
    `${machine.cpuModel}, ${machine.cores} cores (servers pinned to CPU ${SERVER_CPU}, load to CPU ${LOAD_CPU}), Node ${machine.node}; bars = median, whiskers = min–max`,
  ]);
  const chartName = `${date}${mode.name === 'full' ? '' : '-quick'}${partial}-peers.svg`;
  if (chart) {
    writeFileSync(join(BENCH_DIR, 'results', chartName), chart);
    process.stdout.write(`chart: bench/results/${chartName}\n`);
  }

  if (cli.docs && cli.complete) {
    const g = mode.grpc;
    const h = mode.http;
    const settings =
      `${mode.connections} gRPC connections; gRPC: ${g.prewarmMs / 1000} s pre-warm per server, then ${g.rounds} alternating round(s) of ${g.windowsPerRound} × ${g.durationMs / 1000} s per job (after ${g.warmupMs / 1000} s load-generator warm-up); ` +
      `HTTP: ${h.connections} connections, ${h.rounds} alternating round(s) of ${h.durationSec} s per URL; push: ${mode.push.rounds} changes per S; ` +
      `push merge window (\`nacos.naming.push.pushTaskDelay\`) ${pushDelayMs} ms.`;
    const section = [
      `### ${date} — ${mode.name} — ${machine.cpuModel}, ${machine.cores} cores — Node ${machine.node} — commit ${machine.commit}`,
      '',
      `${machine.os}, ${machine.memGiB} GiB RAM. ${pinned ? `Servers pinned to CPU ${SERVER_CPU}, load generators to CPU ${LOAD_CPU} (taskset).` : 'Not pinned.'} ${settings}`,
      'Ratio = Nomen ÷ baseline, taken per pair of measurements made next to each other, median (min–max). For throughput higher is better; for latency and CPU lower is better.',
      '',
      ...(summary
        ? [`**Nomen vs ${cli.peers.map((p) => PEER_LABEL[p]).join(' vs ')}**: every figure measured on Nomen and a peer in this run, medians (min–max) side by side; ratio = Nomen ÷ peer of the medians, read in the figure's direction.`, '', summary, '', 'All rows of the run:', '']
        : []),
      markdownTable(ctx.rows),
      '',
      ...(cli.peers.length
        ? [
            `Peers (same machine and CPU, ${mode.connections} connections, instance JSON as Nomen's): ${cli.peers.map((p) => `**${peerNames[cli.peers.indexOf(p)]}**: ${DRIVERS[p].describe}`).join('; ')}. ` +
              '"vs etcd/ZooKeeper" rows: ratio = Nomen ÷ peer (register and query paired per round; the others medians of separate runs).',
            '',
          ]
        : []),
      ...(chart ? [`![Nomen vs peers](benchmarks-peers.svg)`, ''] : []),
      ...(ctx.notes.length ? ['Notes:', '', ...ctx.notes.map((n) => `- ${n}`), ''] : []),
      `Raw results: \`bench/results/${resultsName}\` (not committed). Run time ${fmt(elapsed, 0)} s.`,
    ].join('\n');
    upsertDocSection(join(ROOT, 'docs', 'benchmarks.md'), `${date}:${mode.name}`, section);
    if (chart) writeFileSync(join(ROOT, 'docs', 'benchmarks-peers.svg'), chart);
    process.stdout.write('docs: docs/benchmarks.md updated\n');
  }
}
