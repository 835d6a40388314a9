import type { Config } from '../config.js';
import type { Driver } from './driver.js';
import { EmbeddedDriver } from './embedded.js';
import { migrate } from './migrate.js';
import { RemoteDriver } from './remote.js';

export type { Driver, JsonLines, Query, RowCopy } from './driver.js';
export { touchesBefore, touchOfDays, type EventTouch, type EventWrite, type EventWriteLog } from './event-writes.js';
export { StoreError } from './driver.js';
export { migrate, readMigrations, migrationsFor, ledgerStatements } from './migrate.js';
export { copyStore, copiedTables, targetIsEmpty, type CopyTarget, type CopyProgress } from './copy.js';
export { clusterStatements, clusterMigrations, type ClusterTarget } from './cluster.js';
export { insertEvents, insertEventJson, insertEventIds, type StoredId, findStoredEventKeys, storedKeyBits, deleteEventRows, eventKey, type EventRow } from './events.js';
export { insertQuarantined, listQuarantined, type QuarantinedRow, type QuarantineState, type QuarantineFilter } from './quarantine.js';
export { insertSpans, insertSpanJson, type SpanRow } from './spans.js';
export { getRecordAttempts, getRecordStatus, type RecordAttempt, type RecordStatus } from './records.js';
export { toChTime, toChTimeNanos, fromChTime } from './time.js';
export { EmbeddedDriver, StoreBusyError } from './embedded.js';
export { RemoteDriver } from './remote.js';

/**
 * Opens the configured store (remote when CLICKHOUSE_URL is set, else embedded) and
 * migrates it; with CLICKHOUSE_CLUSTER, in the cluster-mode form (replicated local
 * tables, Distributed tables, KeeperMap lease).
 */
export async function openStore(config: Pick<Config, 'clickhouse' | 'dataDir'>): Promise<Driver> {
  const driver: Driver = config.clickhouse.url
    ? new RemoteDriver({ ...config.clickhouse, url: config.clickhouse.url })
    : new EmbeddedDriver(`${config.dataDir}/clickhouse`);
  try {
    const { cluster, database } = config.clickhouse;
    await migrate(driver, undefined, cluster && driver.kind === 'remote' ? { cluster, database } : undefined);
  } catch (err) {
    await driver.close();
    throw err;
  }
  return driver;
}
