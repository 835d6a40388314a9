// Runs findSilence off the test's thread, so a pattern that backtracks forever can be
// stopped (worker.terminate) instead of blocking the whole test run.
import { parentPort, workerData } from 'node:worker_threads';
import { findSilence, type Silence } from '../../src/alerts/silences.js';

const { tenant, silence } = workerData as { tenant: string; silence: Silence };
const labels = { rule: 'r', severity: 'critical', category: 'data', code: 'c', audience: ['ops'], tenant, integration: 'i', flow: 'f' };
parentPort!.postMessage(findSilence({ labels } as never, [silence], silence.startsAt + 1)?.id ?? null);
