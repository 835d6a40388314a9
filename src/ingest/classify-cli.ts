import { readFileSync } from 'node:fs';
import { classify, loadClassifier } from './classify.js';
import { classifyInputSchema, signalsFromInput, type ClassifyInput } from './classify-input.js';

/** Where the command writes: stdout and stderr in production, buffers in tests. */
export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const int = (v: unknown) => (typeof v === 'string' && v !== '' ? Number(v) : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * `syncwatch classify`: prints category · code, retryable, the rule and why, for a
 * failure given by flags or as JSON. Exit 0 when classified, 2 on bad input or rules.
 */
export async function runClassifyCommand(opts: Record<string, unknown>, rulesDir: string, io: CommandIO): Promise<number> {
  let raw: unknown;
  try {
    raw = typeof opts.json === 'string' ? JSON.parse(opts.json === '-' ? await readStdin() : readFileSync(opts.json, 'utf8')) : fromFlags(opts);
  } catch (err) {
    io.err(`syncwatch classify: cannot read the failure: ${(err as Error).message}\n`);
    return 2;
  }
  const parsed = classifyInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    io.err(`syncwatch classify: ${issue.path.join('.') || 'input'}: ${issue.message}\n`);
    return 2;
  }
  let rules;
  try {
    rules = loadClassifier(rulesDir);
  } catch (err) {
    io.err(`syncwatch classify: ${(err as Error).message}\n`);
    return 2;
  }
  const c = classify(signalsFromInput(parsed.data), rules);
  io.out(`${c.category} · ${c.code}\nretryable: ${c.retryable ? 'yes' : 'no'}\nrule: ${c.rule}\nwhy: ${c.reason}\n`);
  return 0;
}

function fromFlags(o: Record<string, unknown>): ClassifyInput {
  const input: ClassifyInput = {
    message: str(o.message),
    http_status: int(o.status),
    code: str(o.code),
    type: str(o.type),
    integration: str(o.integration),
    server_address: str(o.serverAddress),
    url: str(o.url),
    exit_code: int(o.exitCode),
    retry_after: o.retryAfter === true ? true : undefined,
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ClassifyInput;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
