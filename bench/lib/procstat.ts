// CPU time and memory of processes, read from /proc: /proc/<pid>/stat fields 14-17 (utime,
// stime, cutime, cstime, in clock ticks) and /proc/<pid>/status (VmRSS, VmHWM = peak RSS).
// cutime/cstime are the CPU of children that were waited for: git and bubblewrap for the
// check-runners.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

export interface CpuTimes {
  /** user + system of the process itself, seconds. */
  readonly self: number;
  /** user + system of its waited-for children, seconds. */
  readonly children: number;
}

export function readCpu(pid: number): CpuTimes | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so field n is fields[n - 3].
    const n = (field: number) => Number(fields[field - 3]);
    const hz = clockTicks();
    return { self: (n(14) + n(15)) / hz, children: (n(16) + n(17)) / hz };
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM in bytes (null when the process is gone). */
export function readMemory(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

export interface ProcessUsage {
  readonly name: string;
  readonly pid: number;
  readonly cpuSeconds: number;
  readonly childCpuSeconds: number;
  /** Peak RSS while measured (sampled VmRSS, or VmHWM when the process started in the window). */
  readonly peakRssBytes: number;
}

interface Watched {
  readonly name: string;
  readonly pid: number;
  readonly start: CpuTimes;
  last: CpuTimes;
  peakRss: number;
  /** VmHWM is the lifetime peak: only meaningful for processes started for this measurement. */
  readonly fresh: boolean;
}

/**
 * Measures a set of processes over a window: CPU seconds used inside it, peak RSS sampled
 * every `intervalMs`. The last reading is kept, so a process that exits early still counts.
 */
export class ProcessMeter {
  readonly #watched: Watched[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 250) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** fresh: the process was started for this window, so its VmHWM is the window's peak. */
  add(name: string, pid: number, fresh = false): void {
    const start = readCpu(pid);
    if (start === null) return;
    this.#watched.push({ name, pid, start, last: start, peakRss: readMemory(pid)?.rss ?? 0, fresh });
  }

  sample(): void {
    for (const w of this.#watched) {
      const cpu = readCpu(w.pid);
      if (cpu !== null) w.last = cpu;
      const memory = readMemory(w.pid);
      if (memory !== null) w.peakRss = Math.max(w.peakRss, memory.rss, w.fresh ? memory.peak : 0);
    }
  }

  stop(): ProcessUsage[] {
    this.sample();
    clearInterval(this.#timer);
    return this.#watched.map((w) => ({
      name: w.name,
      pid: w.pid,
      cpuSeconds: w.last.self - w.start.self,
      childCpuSeconds: w.last.children - w.start.children,
      peakRssBytes: w.peakRss,
    }));
  }
}
