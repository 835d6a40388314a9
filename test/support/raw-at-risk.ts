import { toChTime, type Driver } from '../../src/store/index.js';

/** A value-at-risk row as the insights give it, recomputed from raw events. */
export interface RawAtRiskRow {
  integration: string;
  flow: string;
  currency: string;
  records: number;
  value: string;
}

/**
 * Records whose latest synced-or-failed attempt before `asOf` (by event time, then event
 * id) failed, with that failure's flow, currency and value, straight from `events FINAL`:
 * the independent recomputation every value-at-risk test compares the insights with.
 */
export async function rawAtRisk(driver: Driver, asOf: Date, f: { tenant?: string; integration?: string; flow?: string }): Promise<RawAtRiskRow[]> {
  const found = await driver.query<{ integration: string; flow: string; currency: string; records: string; value: string }>({
    name: 'test.raw_at_risk',
    sql: `SELECT integration, o.5 AS flow, if(o.3 = 1, o.4, '') AS currency, count() AS records, toString(sum(toDecimal128(o.2, 6))) AS value
          FROM (
            SELECT tenant, integration, record_id, argMax((type, record_value, has_value, currency, flow), (ts, event_id)) AS o
            FROM events FINAL
            WHERE type IN ('record.synced', 'record.failed') AND ts < {asOf:DateTime64(3, 'UTC')}
              AND ({tenant:String} = '' OR tenant = {tenant:String}) AND ({integration:String} = '' OR integration = {integration:String})
            GROUP BY tenant, integration, record_id
          )
          WHERE o.1 = 'record.failed' AND ({flow:String} = '' OR o.5 = {flow:String})
          GROUP BY integration, flow, currency
          ORDER BY integration, flow, currency`,
    params: { asOf: toChTime(asOf.getTime()), tenant: f.tenant ?? '', integration: f.integration ?? '', flow: f.flow ?? '' },
  });
  return found.map((r) => ({ integration: r.integration, flow: r.flow, currency: r.currency, records: Number(r.records), value: r.value }));
}
