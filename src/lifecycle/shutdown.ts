// One lifecycle shape: everything started returns something with stop(); stops run in reverse
// order of starts, once, on SIGTERM/SIGINT or when asked. A second signal forces exit.
export interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

export interface ShutdownLog {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export class Lifecycle {
  readonly #parts: Stoppable[] = [];
  readonly #log: ShutdownLog;
  #stopping: Promise<void> | null = null;

  constructor(log: ShutdownLog) {
    this.#log = log;
  }

  add(name: string, stop: () => Promise<void>): void {
    this.#parts.push({ name, stop });
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  /** Stops on SIGTERM/SIGINT, then exits; a second signal exits at once. */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.#stopping !== null) {
        this.#log.error({ signal }, 'second signal: exiting without waiting');
        exit(130);
        return;
      }
      this.#log.info({ signal }, 'stopping');
      this.stop().then(() => exit(0), () => exit(1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  async #stopAll(): Promise<void> {
    for (const part of [...this.#parts].reverse()) {
      try {
        await part.stop();
      } catch (error) {
        this.#log.error({ err: error, part: part.name }, 'stopping failed');
      }
    }
    this.#log.info({}, 'stopped');
  }
}
