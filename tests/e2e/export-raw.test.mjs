// export-raw: a run-generator CSV run becomes the same lake a backfill writes, with the original's
// date rules and its defects fixed (no lost NULL-timestamp rows, guests kept, catalog not replicated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
  // The whole lake, manifests and _SUCCESS included: days on which a table has no rows get an empty
  // partition in both.
  const want = hashTree(bf);
  assert.ok(Object.keys(want).filter((k) => k.endsWith('.parquet')).length > 20);
  assert.deepEqual(hashTree(lake), want);

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

// The CSVs stream: a run six times longer costs a few MB more (the key maps), not its size in CSV.
test('export-raw streams: peak memory stays flat as the run grows', () => {
  const d = tempDir();
  const rss = {};
  const csvBytes = {};
  for (const days of [10, 60]) {
    const src = join(d, `run${days}`);
    generate(src, '2020-01-01', days);
    csvBytes[days] = ['shopping_carts', 'cart_items', 'customers'].reduce((a, t) => a + statSync(join(src, `${t}.csv`)).size, 0);
    const x = runJson(['export-raw', '--source', src, '--target', join(d, `lake${days}`), '--start-date', '2020-01-01',
      '--days', String(days), '--table', 'cart_items', '--table', 'customers']);
    assert.equal(x.code, 0, x.stderr);
    assert.equal(x.json.rows, csvRows(join(src, 'cart_items.csv')) + csvRows(join(src, 'customers.csv')));
    assert.equal(x.json.csv_reads, 2); // one read each to publish: the days come in order
    rss[days] = x.json.max_rss_bytes;
  }
  const grewCsv = csvBytes[60] - csvBytes[10];
  assert.ok(grewCsv > 10e6, `the long run has ${grewCsv} more CSV bytes`);
  // Reading whole files would grow by more than the CSV bytes; streaming grows by the key maps only.
  assert.ok(rss[60] - rss[10] < grewCsv / 3, `peak RSS ${rss[10]} -> ${rss[60]} for ${grewCsv} more CSV bytes`);
  assert.ok(rss[60] < 64 << 20, `peak RSS ${rss[60]}`);
});

// Rows out of day order (here: cart_items shuffled) still land in the right partition, and a tight
// --memory-mb splits the days into several reads without changing a byte.
test('out-of-order rows: the memory budget changes the number of reads, not the files', () => {
  const d = tempDir();
  const src = join(d, 'run');
  generate(src, '2020-01-01', 8);
  const path = join(src, 'cart_items.csv');
  const lines = readFileSync(path, 'utf8').split('\r\n').filter((l) => l.length);
  const body = lines.slice(1);
  // a fixed permutation (no Math.random: the test must be repeatable)
  const shuffled = body.map((l, i) => [(i * 7919) % body.length, l]).sort((a, b) => a[0] - b[0]).map((p) => p[1]);
  writeFileSync(path, [lines[0], ...shuffled, ''].join('\r\n'));
  const args = (target) => ['export-raw', '--source', src, '--target', join(d, target), '--start-date', '2020-01-01',
    '--days', '8', '--table', 'cart_items', '--batch-id', 'b'];
  const wide = runJson(args('wide'));
  assert.equal(wide.code, 0, wide.stderr);
  assert.equal(wide.json.csv_reads, 1);
  const tight = runJson([...args('tight'), '--memory-mb', '1']);
  assert.equal(tight.code, 0, tight.stderr);
  assert.ok(tight.json.csv_reads > 1, `${tight.json.csv_reads} reads`);
  assert.equal(tight.json.rows, body.length);
  assert.deepEqual(hashTree(join(d, 'tight')), hashTree(join(d, 'wide')));
  assert.equal(manifests(join(d, 'wide')).reduce((a, m) => a + m.manifest.total_rows, 0), body.length);
  // Each item is in its cart's day.
  const cartDay = new Map(readFileSync(join(src, 'shopping_carts.csv'), 'utf8').split('\r\n').slice(1).filter((l) => l)
    .map((l) => l.split(',')).map((c) => [c[0], c[2].slice(0, 10)]));
  for (const m of manifests(join(d, 'wide'))) {
    const day = m.manifest.partition_value;
    const items = shuffled.filter((l) => cartDay.get(l.split(',')[1]) === day).length;
    assert.equal(m.manifest.total_rows, items, day);
  }
});

// A malformed row stops the export before anything is written, naming file, line and column.
test('malformed CSV rows are reported with file:line:col and nothing is written', () => {
  const d = tempDir();
  const src = join(d, 'run');
  generate(src, '2020-01-01', 2);
  const path = join(src, 'orders.csv');
  const lines = readFileSync(path, 'utf8').split('\r\n');
  const header = lines[0].split(',');
  const dateCol = header.indexOf('order_date');
  const bad = lines[3].split(',');
  bad[dateCol] = '2020-13-45T00:00:00';
  lines[3] = bad.join(',');                    // line 4: a value that does not parse
  lines[6] = lines[6].split(',').slice(0, 5).join(','); // line 7: too few fields
  writeFileSync(path, lines.join('\r\n'));
  const lake = join(d, 'lake');
  const r = run(['export-raw', '--source', src, '--target', lake, '--start-date', '2020-01-01', '--days', '2']);
  assert.equal(r.code, 1, r.stderr);
  const col = bad.slice(0, dateCol).join(',').length + 2;
  assert.match(r.stderr, new RegExp(`orders\\.csv:4:${col}: column 'order_date'`));
  assert.match(r.stderr, /orders\.csv:7:\d+: expected \d+ fields, got 5/);
  assert.match(r.stderr, /2 malformed CSV row\(s\) in .*; nothing was exported/);
  assert.deepEqual(manifests(lake), []);
});

test('the original\'s other options: --lookups-from, unknown CSVs, today, --source-prefix', () => {
  const d = tempDir();
  const src = join(d, 'run');
  generate(src, '2023-11-14', 2);
  writeFileSync(join(src, 'notes.csv'), 'a,b\n1,2\n');
  const base = runJson(['export-raw', '--source', src, '--target', join(d, 'base'), '--start-date', '2023-11-13',
    '--days', '4', '--batch-id', 'b']);
  assert.equal(base.code, 0, base.stderr);
  assert.match(base.stderr, /'notes\.csv' is not one of the ecom tables; skipped/);
  assert.match(base.stderr, /2 of the 4 selected date\(s\) are outside the run \(the first: 2023-11-13\); nothing is written for them/);
  assert.equal(base.json.empty_partitions, 0);

  // --lookups-from: the dimensions come from another directory, with the same result
  const lookups = join(d, 'lookups');
  mkdirSync(lookups);
  for (const t of ['customers', 'product_catalog']) renameSync(join(src, `${t}.csv`), join(lookups, `${t}.csv`));
  const lk = runJson(['export-raw', '--source', src, '--lookups-from', lookups, '--target', join(d, 'lk'),
    '--start-date', '2023-11-13', '--days', '4', '--batch-id', 'b']);
  assert.equal(lk.code, 0, lk.stderr);
  assert.deepEqual(hashTree(join(d, 'lk')), hashTree(join(d, 'base')));
  const nolk = run(['export-raw', '--source', src, '--lookups-from', src, '--target', join(d, 'x'), '--ingest-date', '2023-11-14']);
  assert.equal(nolk.code, 1);
  assert.match(nolk.stderr, /customers\.csv' not found/);
  for (const t of ['customers', 'product_catalog']) renameSync(join(lookups, `${t}.csv`), join(src, `${t}.csv`));

  // no date option: today's local date (SOURCE_DATE_EPOCH 1700000000 is 2023-11-14T22:13:20Z, already
  // the 15th at UTC+14)
  const today = runJson(['export-raw', '--source', src, '--target', join(d, 'today'), '--table', 'orders'],
    { env: { TZ: 'XYZ-14' } });
  assert.equal(today.code, 0, today.stderr);
  assert.deepEqual(manifests(join(d, 'today')).map((m) => m.dir), ['orders/ingest_dt=2023-11-15']);
  const utc = runJson(['export-raw', '--source', src, '--target', join(d, 'utc'), '--table', 'orders'], { env: { TZ: 'UTC' } });
  assert.deepEqual(manifests(join(d, 'utc')).map((m) => m.dir), ['orders/ingest_dt=2023-11-14']);
  assert.equal(utc.code, 0);

  const prefix = run(['export-raw', '--source', src, '--source-prefix', 'gs://b/raw']);
  assert.equal(prefix.code, 2);
  assert.match(prefix.stderr, /--source-prefix is not supported: source_file always holds the file's path relative to the lake root/);
});
