// Self time by function of a .cpuprofile (from `npm run bench:ingest -- --profile f`):
// `tsx bench/profile-top.ts f.cpuprofile [n]` prints the top n (default 25) with their
// share of the sampled time, so RESULTS.md can say where the JS thread's time goes.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const [file, n = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile-top.ts <file.cpuprofile> [n]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
for (const [i, id] of profile.samples.entries()) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
}
const idle = self.get('(idle)') ?? 0;
console.log(`sampled ${(total / 1e6).toFixed(1)} s, busy ${(((total - idle) / total) * 100).toFixed(0)} %`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
