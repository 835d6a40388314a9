/**
 * Runs async jobs one at a time, in call order; a failed job does not stop the next.
 * The alert engine's ticks, the report scheduler's runs and a process's writes of events
 * (its own flushes and the staged batches it drains) each go through one.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
