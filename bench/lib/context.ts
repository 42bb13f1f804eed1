// What every section gets from run.ts.
import type { Broker } from './infra.ts';
import type { BenchOptions } from './options.ts';
import type { ProcessUsage } from './procstat.ts';
import type { Report } from './report.ts';

export interface BenchContext {
  readonly options: BenchOptions;
  readonly report: Report;
  readonly broker: Broker;
  /** Unique per run: topic prefixes, groups, commits. */
  readonly runId: string;
  readonly runDir: string;
  readonly logDir: string;
}

const MB = 1024 * 1024;

/** One figure per process: CPU seconds (plus children's) and peak RSS. */
export function reportUsage(context: BenchContext, section: string, usage: readonly ProcessUsage[]): void {
  for (const u of usage) {
    // Children's CPU matters for check-runners (git, bubblewrap); elsewhere it is the bench's own helpers.
    const children = u.name === 'check-runners' ? `, children ${u.childCpuSeconds.toFixed(1)} s CPU` : '';
    const rss = u.peakRssBytes > 0 ? `, peak RSS ${Math.round(u.peakRssBytes / MB)} MiB` : '';
    context.report.figure(section, `CPU ${u.name}`, Number(u.cpuSeconds.toFixed(2)), 's', `pid ${u.pid}${children}${rss}`);
  }
}
