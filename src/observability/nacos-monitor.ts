/**
 * The one `nacos_monitor{module,name}` gauge of a registry: Nacos exports its modules' monitor
 * values under one metric name, so the config and naming series (config-metrics.ts,
 * naming-metrics.ts) add their values to a shared gauge instead of registering the name twice.
 */
import { Gauge, type Registry } from 'prom-client';

export type MonitorSetter = (module: string, name: string, value: number) => void;

const contributors = new WeakMap<Registry, ((set: MonitorSetter) => void)[]>();

/** Adds `contribute` to `r`'s `nacos_monitor` gauge (registered on first use); it runs at each scrape. */
export function addNacosMonitor(r: Registry, contribute: (set: MonitorSetter) => void): void {
  let list = contributors.get(r);
  if (!list) {
    const fns: ((set: MonitorSetter) => void)[] = [];
    contributors.set(r, (list = fns));
    new Gauge({
      name: 'nacos_monitor',
      help: 'Nacos-compatible monitor gauges by module (config, naming) and name, as Nacos exports them',
      labelNames: ['module', 'name'],
      registers: [r],
      collect() {
        for (const f of fns) f((module, name, value) => this.set({ module, name }, value));
      },
    });
  }
  list.push(contribute);
}
