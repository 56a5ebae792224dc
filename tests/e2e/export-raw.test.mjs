// export-raw: a run-generator CSV run becomes the same lake a backfill writes, with the original's
// date rules and its defects fixed (no lost NULL-timestamp rows, guests kept, catalog not replicated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { run, runJson, hashTree, manifests, verify } from './lib/rawzone.mjs';

const csvRows = (path) => readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length).length - 1;

function generate(dir, start, days) {
  const r = run(['run-generator', '--start-date', start, '--days', String(days), '--output-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
}

test('export-raw of a CSV run equals the backfill of the same days, byte for byte', () => {
  const d = tempDir();
  const src = join(d, 'run');
  generate(src, '2020-01-01', 4);
  const lake = join(d, 'lake');
  const x = runJson(['export-raw', '--source', src, '--target', lake, '--start-date', '2020-01-01', '--days', '4',
    '--batch-id', 'same']);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(x.json.partitions > 20);
  assert.equal(verify(lake).code, 0);
  const bf = join(d, 'bf');
  const b = run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-04', '--dest', bf, '--batch-id', 'same']);
  assert.equal(b.code, 0, b.stderr);
  const want = hashTree(bf, { parquetOnly: true });
  assert.ok(Object.keys(want).length > 20);
  assert.deepEqual(hashTree(lake, { parquetOnly: true }), want);

  // Every CSV row is in the lake: guests included, the catalog once (by category), nothing dropped.
  const ms = manifests(lake);
  for (const table of ['shopping_carts', 'cart_items', 'orders', 'order_items', 'returns', 'return_items', 'customers', 'product_catalog']) {
    const got = ms.filter((m) => m.manifest.table === table).reduce((a, m) => a + m.manifest.total_rows, 0);
    assert.equal(got, csvRows(join(src, `${table}.csv`)), table);
  }
  assert.ok(readFileSync(join(src, 'customers.csv'), 'utf8').includes('GUEST-'));
  assert.ok(ms.filter((m) => m.manifest.table === 'product_catalog').every((m) => m.manifest.partition_key === 'category'));
});

test('rows without a day are kept in __HIVE_DEFAULT_PARTITION__, children follow their parent', () => {
  const d = tempDir();
  const src = join(d, 'run');
  generate(src, '2020-01-01', 2);
  // Blank one order's order_date: the original exporter silently dropped such rows.
  const path = join(src, 'orders.csv');
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines[0].replace(/\r$/, '').split(',');
  const col = header.indexOf('order_date');
  const cells = lines[1].split(',');
  cells[col] = '';
  lines[1] = cells.join(',');
  writeFileSync(path, lines.join('\n'));
  const lake = join(d, 'lake');
  const x = runJson(['export-raw', '--source', src, '--target', lake, '--start-date', '2020-01-01', '--end-date', '2020-01-02',
    '--table', 'orders', '--table', 'order_items']);
  assert.equal(x.code, 0, x.stderr);
  assert.match(x.stderr, /no order_date and no parent to date them; written to ingest_dt=__HIVE_DEFAULT_PARTITION__/);
  const ms = manifests(lake);
  const def = ms.filter((m) => m.dir.endsWith('__HIVE_DEFAULT_PARTITION__'));
  assert.equal(def.find((m) => m.manifest.table === 'orders').manifest.total_rows, 1);
  const orders = ms.filter((m) => m.manifest.table === 'orders').reduce((a, m) => a + m.manifest.total_rows, 0);
  assert.equal(orders, csvRows(path));
  const items = ms.filter((m) => m.manifest.table === 'order_items').reduce((a, m) => a + m.manifest.total_rows, 0);
  assert.equal(items, csvRows(join(src, 'order_items.csv')));
  assert.deepEqual(ms.map((m) => m.manifest.table).filter((t) => t !== 'orders' && t !== 'order_items'), []);
});

test('date rules, hooks and errors', () => {
  const d = tempDir();
  const src = join(d, 'run');
  generate(src, '2020-01-01', 3);
  const lake = join(d, 'lake');
  const log = join(d, 'hook.log');
  const x = runJson(['export-raw', '--source', src, '--target', lake, '--dates', '2020-01-03,2020-01-01,2020-01-03',
    '--table', 'orders', '--post-export-hook', `echo "$ECOMLAKE_PARTITION" >> ${log}`]);
  assert.equal(x.code, 0, x.stderr);
  assert.equal(x.json.dates, 2);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').sort(), ['ingest_dt=2020-01-01', 'ingest_dt=2020-01-03']);
  const one = runJson(['export-raw', '--source', src, '--target', join(d, 'l2'), '--ingest-date', '2020-01-02', '--table', 'orders']);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(manifests(join(d, 'l2')).map((m) => m.dir), ['orders/ingest_dt=2020-01-02']);
  const days = runJson(['export-raw', '--source', src, '--target', join(d, 'l3'), '--start-date', '2020-01-02', '--days', '2', '--table', 'orders']);
  assert.deepEqual(manifests(join(d, 'l3')).map((m) => m.dir), ['orders/ingest_dt=2020-01-02', 'orders/ingest_dt=2020-01-03']);
  assert.equal(days.code, 0);

  const usage = (args, re) => {
    const r = run(['export-raw', '--source', src, '--target', lake, ...args]);
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, re);
  };
  usage(['--end-date', '2020-01-02'], /--end-date and --days need --start-date/);
  usage(['--start-date', '2020-01-02', '--end-date', '2020-01-01'], /end date \(2020-01-01\) is before start date \(2020-01-02\)/);
  usage(['--start-date', '2020-01-02', '--days', '0'], /--days: 0 is out of range/);
  usage(['--dates', '2020-01-01', '--start-date', '2020-01-01'], /--dates cannot be combined/);
  usage(['--dates', '2020-01-01,nope'], /--dates: 'nope' is not a date/);
  usage(['--table', 'users', '--ingest-date', '2020-01-01'], /--table: 'users' is not one of/);
  const none = run(['export-raw', '--source', src, '--target', join(d, 'l4'), '--ingest-date', '2021-06-01', '--table', 'orders']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no tables were exported/);
  const missing = run(['export-raw', '--source', join(d, 'nope'), '--target', lake, '--ingest-date', '2020-01-01']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /is not a directory/);
});
