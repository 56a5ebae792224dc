// customers/signup_date=… holds every customer under their signup day, guests (whose signup_date is
// NULL) under the day of their first visit. Hive-aware readers take a partition column's value from
// the directory, so DuckDB shows guests with their first-visit day as signup_date. This test pins
// DuckDB's exact behaviour and the reading recipe that gives the stored values (docs/raw-zone.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { duck, tempDir } from './lib/run.mjs';
import { run } from './lib/rawzone.mjs';

const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
const day = (v) => (v === null ? null : typeof v === 'string' ? v : v.toString());

function csv(path) {
  const lines = readFileSync(path, 'utf8').split('\r\n').filter((l) => l);
  const head = lines[0].split(',');
  // the columns read here never hold quoted commas (ids, dates, True/False)
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').slice(0, head.length).map((v, i) => [head[i], v])));
}

test('DuckDB and customers/signup_date=: what it reads, and the recipe for the stored values', async () => {
  const d = tempDir();
  const lake = join(d, 'lake');
  const b = run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-03', '--dest', lake,
    '--tables', 'customers,shopping_carts']);
  assert.equal(b.code, 0, b.stderr);
  // The same days as CSV: the oracle for the stored values and the first visits.
  const src = join(d, 'run');
  assert.equal(run(['run-generator', '--start-date', '2020-01-01', '--days', '3', '--output-dir', src]).code, 0);
  const stored = new Map(csv(join(src, 'customers.csv')).map((c) => [c.customer_id, c.signup_date || null]));
  const firstVisit = new Map();
  for (const c of csv(join(src, 'shopping_carts.csv'))) {
    const v = c.created_at.slice(0, 10);
    if (!firstVisit.has(c.customer_id) || v < firstVisit.get(c.customer_id)) firstVisit.set(c.customer_id, v);
  }
  const guests = [...stored].filter(([, s]) => s === null).map(([id]) => id);
  assert.ok(guests.length > 100, 'the run has guests');
  const glob = q(`${lake}/customers/*/*.parquet`);
  const filedUnder = (id) => stored.get(id) ?? firstVisit.get(id);

  // 1. DuckDB detects the key=value directories by itself (as with hive_partitioning=true) and the
  //    directory's value replaces the file's signup_date column: guests get their first visit.
  for (const opts of ['', ', hive_partitioning=true']) {
    const rows = await duck(`select customer_id, signup_date::VARCHAR as s from read_parquet(${glob}${opts})`);
    assert.equal(rows.length, stored.size);
    for (const r of rows) assert.equal(day(r.s), filedUnder(r.customer_id), `${opts}: ${r.customer_id}`);
  }
  //    even when one partition directory is read on its own
  const one = await duck(`select count(*)::INTEGER as n, count(signup_date)::INTEGER as nn,
      count(*) filter (where is_guest)::INTEGER as g
    from read_parquet(${q(`${lake}/customers/signup_date=2020-01-02/*.parquet`)})`);
  assert.ok(one[0].g > 0);
  assert.equal(one[0].n, one[0].nn);

  // 2. The recipe: hive_partitioning=false reads the stored column (NULL for guests) ...
  const rows = await duck(`select customer_id, signup_date::VARCHAR as s,
      regexp_extract(filename, 'signup_date=([^/]+)/', 1) as filed_under
    from read_parquet(${glob}, hive_partitioning=false, filename=true)`);
  assert.equal(rows.length, stored.size);
  for (const r of rows) {
    assert.equal(day(r.s), stored.get(r.customer_id), r.customer_id);
    // ... and the directory, when wanted, comes from the file name: the first visit for guests
    assert.equal(r.filed_under, filedUnder(r.customer_id), r.customer_id);
  }
  for (const g of guests.slice(0, 50)) assert.equal(rows.find((r) => r.customer_id === g).s, null, g);
});
