// CPU of the PostgreSQL backends serving one database. Backends come and go (pools close idle
// connections), so the list is read every second and the last CPU reading of each is kept;
// every backend of the bench's own database works only for this run.
import type { BenchDatabase } from './infra.ts';
import { backendPids } from './infra.ts';
import { readCpu } from './procstat.ts';

export class PgMeter {
  readonly #db: BenchDatabase;
  readonly #cpu = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;
  #busy = false;

  constructor(db: BenchDatabase) {
    this.#db = db;
    this.#timer = setInterval(() => void this.#sample(), 1000);
    this.#timer.unref();
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const pid of await backendPids(this.#db)) {
        const cpu = readCpu(pid);
        if (cpu !== null) this.#cpu.set(pid, cpu.self);
      }
    } catch {
      // the database may be going away at the end of the run
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<{ backends: number; cpuSeconds: number }> {
    clearInterval(this.#timer);
    while (this.#busy) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.#sample();
    return { backends: this.#cpu.size, cpuSeconds: [...this.#cpu.values()].reduce((a, b) => a + b, 0) };
  }
}
