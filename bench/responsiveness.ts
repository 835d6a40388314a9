import { monitorEventLoopDelay } from 'node:perf_hooks';

/*
 * How responsive the service's HTTP thread stays during an ingest: the event loop's delay
 * (perf_hooks, 10 ms resolution) and the latency of a cheap GET /healthz sent every 100 ms
 * alongside the load. The bench's client shares the thread with the service (in-process),
 * so both figures include its share; it is the same whether the service decodes on the
 * thread or in decode workers, which is the comparison these figures are for.
 */

export interface Responsiveness {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  healthzP50Ms: number;
  healthzP99Ms: number;
  healthzMaxMs: number;
  probes: number;
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
};

/** Starts measuring; `stop()` returns the figures since the start. */
export function watchResponsiveness(baseUrl: string): { stop(): Promise<Responsiveness> } {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const latencies: number[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const t0 = performance.now();
      const res = await fetch(`${baseUrl}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await probing;
      loop.disable();
      return {
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        healthzP50Ms: quantile(latencies, 0.5),
        healthzP99Ms: quantile(latencies, 0.99),
        healthzMaxMs: Math.max(...latencies),
        probes: latencies.length,
      };
    },
  };
}

/** One line for a results table. */
export function describeResponsiveness(r: Responsiveness): string {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  return `event-loop delay p99 ${ms(r.loopDelayP99Ms)} (max ${ms(r.loopDelayMaxMs)}); GET /healthz p50 ${ms(r.healthzP50Ms)}, p99 ${ms(r.healthzP99Ms)}, max ${ms(r.healthzMaxMs)} (${r.probes} probes)`;
}
