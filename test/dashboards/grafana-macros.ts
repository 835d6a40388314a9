import assert from 'node:assert/strict';

// Grafana's ClickHouse plugin expands macros on its backend (pkg/macros in
// grafana/clickhouse-datasource) and Grafana expands variables on the frontend; the
// dashboard test runs panel SQL the same way, so it sees what ClickHouse would see.

const iso = (ms: number) => new Date(ms).toISOString();

/** What the panel would be asked for: the time range, the bucket size and the variables' selected values. */
export interface Selection {
  from: number;
  to: number;
  intervalSeconds: number;
  vars: Record<string, string[]>;
}

/** The end of the macro call starting at `open` (the index of its `(`), with its top-level arguments. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { args: [...args, sql.slice(start, i).trim()], end: i + 1 };
    else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced macro call at ${sql.slice(open - 20, open + 20)}`);
}

const sec = (ms: number) => Math.floor(ms / 1000);
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Expands the ClickHouse plugin's macros as its backend does (pkg/macros in
 * grafana/clickhouse-datasource) and Grafana's variables as the frontend does
 * (`${v:singlequote}` → 'a','b'). Anything left starting with `$` is an error.
 */
export function expandMacros(sql: string, s: Selection): string {
  const withArgs: Record<string, (args: string[]) => string> = {
    timeFilter: ([c]) => `${c} >= toDateTime(${sec(s.from)}) AND ${c} <= toDateTime(${sec(s.to)})`,
    timeFilter_ms: ([c]) => `${c} >= fromUnixTimestamp64Milli(${s.from}) AND ${c} <= fromUnixTimestamp64Milli(${s.to})`,
    dateFilter: ([c]) => `${c} >= toDate('${iso(s.from).slice(0, 10)}') AND ${c} <= toDate('${iso(s.to).slice(0, 10)}')`,
    timeInterval: ([c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${s.intervalSeconds} second)`,
    timeInterval_ms: ([c]) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${s.intervalSeconds * 1000} millisecond)`,
  };
  let out = sql;
  for (let m = /\$__(\w+)\(/.exec(out); m; m = /\$__(\w+)\(/.exec(out)) {
    const expand = withArgs[m[1]];
    if (!expand) throw new Error(`unknown macro $__${m[1]}()`);
    const { args, end } = macroArgs(out, m.index + m[0].length - 1);
    out = out.slice(0, m.index) + expand(args) + out.slice(end);
  }
  out = out
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${s.from})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${s.to})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${sec(s.from)})`)
    .replace(/\$__toTime\b/g, `toDateTime(${sec(s.to)})`)
    .replace(/\$__interval_s\b/g, String(s.intervalSeconds));
  out = out.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (whole, braced: string, format: string | undefined, bare: string) => {
    const name = braced ?? bare;
    const values = s.vars[name];
    if (!values) throw new Error(`unknown variable ${whole}`);
    if (format !== undefined && format !== 'singlequote') throw new Error(`variable format ${format} is not expanded by this test`);
    return values.map(quote).join(',');
  });
  assert.doesNotMatch(out, /\$/, `unexpanded macro or variable in:\n${out}`);
  return out;
}

