import { Command } from 'commander';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startService, type Service } from './main.js';
import { openStore, StoreBusyError } from './store/index.js';
import { VERSION } from './version.js';

/** Stops the service gracefully on SIGTERM/SIGINT: accepted rows are written before exit. */
function stopOnSignals(service: Service): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.log.info({ signal }, 'draining');
    service.close().then(
      () => process.exit(0),
      (err) => {
        service.log.error({ err }, 'error while draining');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function config() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`syncwatch: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

const program = new Command('syncwatch').description('Health, failures and value of SaaS integrations, over ClickHouse').version(VERSION, '-V, --version');

/** One line a person can act on for the failures a user causes; null for the others (logged whole). */
function friendly(err: unknown): string | null {
  if (err instanceof StoreBusyError) {
    return `${err.message}. Stop that process first, or ask it over HTTP (e.g. GET /v1/reports/value?tenant=…), or use another SYNCWATCH_DATA_DIR.`;
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE') {
    const hint = e.syscall === 'listen' ? 'PORT=…' : 'SYNCWATCH_GRPC_PORT=…, or 0 to turn gRPC off';
    return `port ${e.port} on ${e.address} is already in use; stop the process using it or choose another port (${hint}).`;
  }
  if (e?.code === 'EACCES' && e.syscall === 'listen') return `no permission to listen on port ${e.port} (PORT); choose a port above 1023.`;
  return null;
}

program
  .command('serve')
  .description('run the service (HTTP API, OTLP ingest)')
  .option('-p, --port <port>', 'HTTP port (PORT)')
  .action(async (opts: { port?: string }) => {
    const cfg = config();
    if (opts.port !== undefined) cfg.port = Number(opts.port);
    stopOnSignals(await startService(cfg));
  });

program
  .command('migrate')
  .description('apply schema migrations to the configured store and exit')
  .action(async () => {
    const cfg = config();
    const driver = await openStore(cfg);
    await driver.close();
    console.log(`schema is up to date (${driver.kind} store)`);
  });

program
  .command('copy-to-server')
  .description('copy the embedded store (SYNCWATCH_DATA_DIR) into the server at CLICKHOUSE_URL, whose database must hold no events; rollups are rebuilt there')
  .action(async () => {
    const { runCopyCommand } = await import('./copy-command.js');
    process.exitCode = await runCopyCommand(config(), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), progress: process.stderr.isTTY === true });
  });

program
  .command('demo')
  .description('run the service on the embedded store and feed it a simulated workload')
  .option('-p, --port <port>', 'HTTP port (PORT)')
  .option('--days <n>', 'days of history to simulate', '7')
  .action(async (opts: { port?: string; days: string }) => {
    const { runDemo } = await import('./demo/index.js');
    const cfg = config();
    if (opts.port !== undefined) cfg.port = Number(opts.port);
    const service = await runDemo(cfg, { days: Number(opts.days) });
    stopOnSignals(service);
  });

program
  .command('report')
  .description("a tenant's value report: print it, or --send it to the tenant's subscribed emails and webhooks")
  .requiredOption('--tenant <tenant>', 'the tenant')
  .option('--period <period>', 'a month (2026-10) or an ISO week (2026-W44); default: the last full month')
  .option('--from <date>', 'start of a custom range (2026-10-01 or an ISO timestamp), instead of --period')
  .option('--to <date>', 'end of the range, not included (default: now)')
  .option('--format <format>', 'json, text or html (the email bodies)', 'json')
  .option('--send', "send it through the notification outbox to the tenant's subscriptions and wait for delivery")
  .option('--wait <seconds>', 'with --send: how long to wait for the deliveries', '120')
  .action(async (opts: import('./reports/index.js').ReportCommandOptions) => {
    const { runReportCommand } = await import('./reports/index.js');
    process.exitCode = await runReportCommand(config(), opts, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  });

program
  .command('classify')
  .description('say how a failure would be classified (category, code, retryable), by which rule and why')
  .option('-m, --message <text>', 'the error message (a JSON error body is parsed)')
  .option('-s, --status <n>', 'HTTP status of the failed call')
  .option('-c, --code <code>', 'the error code the runner reports (e.g. UNABLE_TO_LOCK_ROW)')
  .option('-t, --type <type>', 'the error or exception type (e.g. ECONNREFUSED, ReadTimeout)')
  .option('-i, --integration <name>', 'the integration (vendor rules apply only to theirs)')
  .option('--server-address <host>', 'server.address of the failed call')
  .option('--url <url>', 'url.full of the failed call')
  .option('--exit-code <n>', 'process exit code')
  .option('--retry-after', 'a Retry-After was seen')
  .option('--json <file>', 'read the failure from a JSON file ("-" for stdin): the fields of POST /v1/classify')
  .option('--rules <dir>', 'rules directory (default SYNCWATCH_ALERT_RULES)')
  .action(async (opts: Record<string, string | boolean | undefined>) => {
    const { runClassifyCommand } = await import('./ingest/index.js');
    const rulesDir = typeof opts.rules === 'string' ? opts.rules : config().alertRulesDir;
    process.exitCode = await runClassifyCommand(opts, rulesDir, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  });

const rules = program.command('rules').description('alert rules (alert-rules/*.yaml)');
rules
  .command('check [dir]')
  .description('validate the alert rule files of a directory (default SYNCWATCH_ALERT_RULES); exits 1 on any error')
  .action(async (dir: string | undefined) => {
    const { checkAlertRules, checkAlertRuleCodes, formatRuleError } = await import('./alerts/index.js');
    const { loadClassifier, producibleCodes } = await import('./ingest/index.js');
    const rulesDir = dir ?? config().alertRulesDir;
    const { rules: checked, files, errors } = checkAlertRules(rulesDir);
    try {
      errors.push(...checkAlertRuleCodes(checked, producibleCodes(loadClassifier(rulesDir))));
    } catch (err) {
      errors.push({ file: rulesDir, message: (err as Error).message });
    }
    if (errors.length > 0) {
      for (const e of errors) console.error(formatRuleError(e));
      console.error(`${errors.length} error${errors.length === 1 ? '' : 's'} in alert rules`);
      process.exit(1);
    }
    console.log(`ok: ${checked.length} rules in ${files.length} files`);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  const line = friendly(err);
  if (line) {
    console.error(`syncwatch: ${line}`);
    process.exit(1);
  }
  const log = createLogger('error');
  log.error({ err }, 'syncwatch failed');
  process.exit(1);
});
