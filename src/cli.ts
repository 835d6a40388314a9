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
  .action(async (opts: import('./reports/cli.js').ReportCommandOptions) => {
    const { runReportCommand } = await import('./reports/cli.js');
    process.exitCode = await runReportCommand(config(), opts, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  });

const rules = program.command('rules').description('alert rules (alert-rules/*.yaml)');
rules
  .command('check [dir]')
  .description('validate the alert rule files of a directory (default SYNCWATCH_ALERT_RULES); exits 1 on any error')
  .action(async (dir: string | undefined) => {
    const { checkAlertRules, formatRuleError } = await import('./alerts/index.js');
    const { rules: checked, files, errors } = checkAlertRules(dir ?? config().alertRulesDir);
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
