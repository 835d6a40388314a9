import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Samples this process's JS (V8 CPU profile) until `stop`, which writes a .cpuprofile file (open it in Chrome DevTools). */
export async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
