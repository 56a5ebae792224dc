// ecomlake build: silver and gold on SQLite and a real PostgreSQL give the same gold aggregates for
// the same input, and those aggregates match figures computed independently from the CSV files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ecl, tempDir } from './lib/run.mjs';
import { startPg, pgSkipReason } from './lib/pgserver.mjs';
import { sqliteWarehouse, pgWarehouse, scalar } from './lib/warehouse.mjs';

const skip = pgSkipReason();
const pg = skip ? null : await startPg();
after(() => pg && pg.stop());

const AGGS = {
  gold_agg_daily_sales: 'date_key',
  gold_agg_unit_performance: 'unit_key',
  gold_agg_product_performance: 'product_key',
};

function norm(v) {
  if (v === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

function dump(wh, table, key) {
  return wh.query(`select * from ${table} order by ${key}`).map((r) => r.map(norm));
}

function csvFold(root, fn) {
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'pedido.csv') {
        const [h, ...rows] = readFileSync(p, 'utf8').trim().split('\n');
        const cols = h.split(';');
        for (const r of rows) fn(Object.fromEntries(r.split(';').map((v, i) => [cols[i], v])));
      }
    }
  };
  walk(join(root, 'csv_sales'));
}

test('build all: same gold aggregates on SQLite and PostgreSQL, matching the CSV files', () => {
  if (skip) console.log(`# postgres part skipped: ${skip}`);
  const dir = tempDir();
  const lake = join(dir, 'lake');
  for (const date of ['2026-02-27', '2026-02-28', '2026-03-01']) {
    for (const h of [10, 12, 14, 16, 18, 20, 22]) {
      const end = h === 22 ? '00:00' : `${h + 2}:00`;
      const r = ecl(['window', '--date', date, '--window-start', `${h}:00`, '--window-end', end, '--units', '8',
        '--seed', '11', '--output-dir', lake, '--no-fsync', '-q']);
      assert.equal(r.code, 0, r.stderr);
    }
  }
  // independent figures from the files
  const perDay = new Map();
  csvFold(lake, (o) => {
    const d = perDay.get(o.Data_Pedido) || { orders: 0, cents: 0, canceled: 0 };
    d.orders++;
    d.cents += Math.round(Number(o.Vlr_Pedido) * 100);
    if (o.Status === 'Cancelado') d.canceled++;
    perDay.set(o.Data_Pedido, d);
  });
  const whs = [sqliteWarehouse(dir)];
  if (pg) whs.push(pgWarehouse(pg, `build_${process.pid}`));
  const dumps = [];
  for (const wh of whs) {
    let r = ecl(['ingest', '--source', lake, '--warehouse', wh.url, '-q']);
    assert.equal(r.code, 0, r.stderr);
    r = ecl(['build', 'silver', '--warehouse', wh.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    r = ecl(['build', 'all', '--warehouse', wh.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const counts = JSON.parse(r.stdout).tables;
    assert.equal(counts.gold_dim_date, 3, `${wh.kind}: dim_date spans the data's range`);
    assert.equal(counts.gold_agg_daily_sales, 3);
    assert.equal(counts.gold_agg_unit_performance, 8);
    assert.equal(counts.gold_dim_product, 30);
    assert.equal(counts.gold_fact_sales, [...perDay.values()].reduce((a, d) => a + d.orders, 0));
    assert.deepEqual(wh.query("select full_date, day_of_week_name, iso_week, week_of_year, day_in_month, is_weekend, date_key from gold_dim_date order by 1"),
      [['2026-02-27', 'Friday', '9', '8', '28', '0', '20260227'], ['2026-02-28', 'Saturday', '9', '8', '28', '1', '20260228'],
        ['2026-03-01', 'Sunday', '9', '9', '31', '1', '20260301']]);
    for (const [date, d] of perDay) {
      const row = wh.query(`select total_orders, total_revenue, canceled_orders, cancellation_rate from gold_agg_daily_sales where order_date = '${date}'`)[0];
      assert.equal(Number(row[0]), d.orders);
      assert.equal(Math.round(Number(row[1]) * 100), d.cents);
      assert.equal(Number(row[2]), d.canceled);
      assert.equal(Number(row[3]), Math.round((10000 * d.canceled) / d.orders) / 100);
    }
    // silver dedup: ingesting the same orders under a second path does not double count
    assert.equal(scalar(wh, 'select count(*) from silver_orders'), scalar(wh, 'select count(distinct id_pedido) from orders'));
    // rebuilding gives the same figures
    const before = Object.entries(AGGS).map(([t, k]) => dump(wh, t, k));
    r = ecl(['build', 'gold', '--warehouse', wh.url, '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.entries(AGGS).map(([t, k]) => dump(wh, t, k)), before);
    dumps.push(before);
  }
  if (dumps.length === 2) {
    for (let i = 0; i < dumps[0].length; i++) assert.deepEqual(dumps[1][i], dumps[0][i], `${Object.keys(AGGS)[i]} differs between engines`);
  }
  // build refuses an unknown layer and needs a warehouse
  assert.equal(ecl(['build', 'platinum', '--warehouse', whs[0].url]).code, 2);
  assert.equal(ecl(['build', 'all']).code, 2);
});
