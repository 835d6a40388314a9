import type { Config } from '../config.js';
import type { Driver } from './driver.js';
import { EmbeddedDriver } from './embedded.js';
import { migrate } from './migrate.js';
import { RemoteDriver } from './remote.js';

export type { Driver, Query } from './driver.js';
export { StoreError } from './driver.js';
export { migrate, readMigrations } from './migrate.js';
export { insertEvents, insertEventJson, insertEventIds, findStoredEventKeys, deleteEventRows, eventKey, type EventRow } from './events.js';
export { insertQuarantined, listQuarantined, type QuarantinedRow, type QuarantineState, type QuarantineFilter } from './quarantine.js';
export { insertSpans, insertSpanJson, type SpanRow } from './spans.js';
export { getRecordAttempts, getRecordStatus, type RecordAttempt, type RecordStatus } from './records.js';
export { toChTime, toChTimeNanos, fromChTime } from './time.js';
export { EmbeddedDriver, StoreBusyError } from './embedded.js';
export { RemoteDriver } from './remote.js';

/** Opens the configured store (remote when CLICKHOUSE_URL is set, else embedded) and migrates it. */
export async function openStore(config: Pick<Config, 'clickhouse' | 'dataDir'>): Promise<Driver> {
  const driver: Driver = config.clickhouse.url
    ? new RemoteDriver({ ...config.clickhouse, url: config.clickhouse.url })
    : new EmbeddedDriver(`${config.dataDir}/clickhouse`);
  try {
    await migrate(driver);
  } catch (err) {
    await driver.close();
    throw err;
  }
  return driver;
}
