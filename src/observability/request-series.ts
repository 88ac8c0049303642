/**
 * Per-request-type counters and latency histogram of the SDK port, kept as plain numbers on the hot
 * path and turned into Prometheus series only at scrape time.
 *
 * Why not prom-client's own `labels(...).inc()` / `.observe()`: each call re-validates the labels,
 * builds the label-set string and looks it up, and a histogram observation also indexes its bucket
 * map by the bound's number-to-string key. That was about a microsecond per gRPC request, ~2 % of a
 * register's server CPU (docs/benchmarks.md, "Register path, second pass"). Here a request type
 * gets one `RequestSeries` when its handler is registered; recording is two additions and a short
 * scan of the bucket bounds. The exposition (names, labels, bucket bounds, `_sum`, `_count`, the
 * cumulative `le` buckets and `+Inf`) is exactly what prom-client printed before.
 */
import { Counter, Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';

/** The recorded totals of one request type. */
export class RequestSeries {
  ok = 0;
  error = 0;
  sum = 0;
  /** Observations per bucket (not cumulative); the last slot is above the highest bound (`+Inf`). */
  readonly buckets: Float64Array;

  constructor(private readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length + 1);
  }

  /** One request answered (`failed`: with an error), `seconds` after it was dispatched. */
  record(seconds: number, failed: boolean): void {
    if (failed) this.error++;
    else this.ok++;
    // Non-finite times (a clock fault) are counted but not timed, rather than poisoning the sum.
    if (!Number.isFinite(seconds)) return;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.buckets[i] = this.buckets[i]! + 1;
    this.sum += seconds;
  }

  get timed(): number {
    let n = 0;
    for (const c of this.buckets) n += c;
    return n;
  }
}

type Exposition = MetricObjectWithValues<MetricValueWithName<string>>;

/**
 * The histogram half: a prom-client `Histogram` (so it registers and prints like one) whose values
 * come from the `RequestSeries` of each label value instead of prom-client's own map.
 */
class SeriesHistogram extends Histogram<string> {
  constructor(
    private readonly metricName: string,
    private readonly helpText: string,
    private readonly label: string,
    private readonly bounds: readonly number[],
    private readonly series: ReadonlyMap<string, RequestSeries>,
    registry: Registry,
  ) {
    super({ name: metricName, help: helpText, labelNames: [label], buckets: [...bounds], registers: [registry] });
  }

  // prom-client's own observe/labels are not used: observations go to the RequestSeries.

  override get(): Promise<Exposition> {
    const values: MetricValueWithName<string>[] = [];
    for (const [labelValue, s] of this.series) {
      const timed = s.timed;
      if (timed === 0) continue;
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.buckets[i]!;
        values.push({ metricName: `${this.metricName}_bucket`, labels: { le: this.bounds[i]!, [this.label]: labelValue }, value: acc });
      }
      values.push({ metricName: `${this.metricName}_bucket`, labels: { le: '+Inf', [this.label]: labelValue }, value: timed });
      values.push({ metricName: `${this.metricName}_sum`, labels: { [this.label]: labelValue }, value: s.sum });
      values.push({ metricName: `${this.metricName}_count`, labels: { [this.label]: labelValue }, value: timed });
    }
    // prom-client's typings declare `type` as an enum and require `collect`; at run time (and in
    // what prom-client's own get() returns) `type` is the string 'histogram' and nothing reads
    // `collect` from this object.
    const exposition = { name: this.metricName, help: this.helpText, type: 'histogram', aggregator: 'sum', values };
    return Promise.resolve(exposition as unknown as Exposition);
  }

  /** What the registry prints (prom-client calls it instead of get() when present). */
  getForPromString(): Promise<Exposition> {
    return this.get();
  }
}

/**
 * Request counts by `type` and `result` (`ok` / `error`) as a counter, and handling time by `type`
 * as a histogram, both fed by `RequestSeries`.
 */
export class RequestMetrics {
  private readonly series = new Map<string, RequestSeries>();
  private readonly bounds: readonly number[];

  constructor(registry: Registry, o: { counterName: string; counterHelp: string; histogramName: string; histogramHelp: string; buckets: readonly number[] }) {
    const series = this.series;
    new Counter({
      name: o.counterName,
      help: o.counterHelp,
      labelNames: ['type', 'result'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [type, s] of series) {
          if (s.ok > 0) this.inc({ type, result: 'ok' }, s.ok);
          if (s.error > 0) this.inc({ type, result: 'error' }, s.error);
        }
      },
    });
    new SeriesHistogram(o.histogramName, o.histogramHelp, 'type', o.buckets, series, registry);
    this.bounds = o.buckets;
  }

  /** The series of a request type (created on first use; bind it once, outside the hot path). */
  of(type: string): RequestSeries {
    let s = this.series.get(type);
    if (!s) {
      s = new RequestSeries(this.bounds);
      this.series.set(type, s);
    }
    return s;
  }
}
