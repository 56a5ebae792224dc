// backfill: validation rules and messages, dry-run plans with real counts, resume, chunk and job
// invariance, hooks, the audit log, and DuckDB + hyparquet reading the lake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, duck } from './lib/run.mjs';
import { run, runJson, hashTree, manifests, stagingDirs, verify, messLevel } from './lib/rawzone.mjs';
import { hypRead, normDuck, normHyp, sqlStr } from './lib/parquet.mjs';

const S = '2020-01-01';
const today = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);

function usage(args, needle) {
  const r = run(['backfill', ...args]);
  assert.equal(r.code, 2, `exit for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, needle);
  return r;
}

function plan(args) {
  const r = runJson(['backfill', '--dry-run', '--tables', 'orders', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.json;
}

test('validation rules and their messages', () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  usage(['--end-date', '2020-01-02'], /--start-date is required/);
  usage(['--start-date', S], /--end-date is required/);
  usage(['--start-date', '2020-13-01', '--end-date', '2020-12-01'], /invalid date format for --start-date: '2020-13-01' \(expected YYYY-MM-DD\)/);
  usage(['--start-date', S, '--end-date', '2020-02-30'], /invalid date format for --end-date/);
  usage(['--start-date', '2020/01/01', '--end-date', S], /invalid date format/);
  usage(['--start-date', '2020-01-05', '--end-date', '2020-01-04'], /start date \(2020-01-05\) must not be after end date \(2020-01-04\)/);
  usage(['--start-date', S, '--end-date', tomorrow], new RegExp(`end date \\(${tomorrow}\\) cannot be in the future \\(today is ${today} UTC\\); pass --allow-future`));
  usage(['--start-date', S, '--end-date', '2020-01-31', '--max-days', '30'], /date range \(31 days\) exceeds maximum \(30 days\); split into smaller batches or raise --max-days/);
  usage(['--start-date', S, '--end-date', '2020-01-02', '--chunk-days', '0'], /--chunk-days must be at least 1 \(got 0\)/);
  usage(['--start-date', S, '--end-date', '2020-01-02', '--chunk-days', '-3'], /--chunk-days must be at least 1 \(got -3\)/);
  usage(['--start-date', S, '--end-date', '2020-01-02', '--chunk-days', 'x'], /--chunk-days: 'x' is not a whole number/);
  usage(['--start-date', S, '--end-date', '2020-01-02', '--tables', 'orders,nope'], /unknown table 'nope' for dataset 'ecom' \(known: .*orders.*\)/);
  usage(['--start-date', '2019-12-31', '--end-date', '2020-01-02'], /start date \(2019-12-31\) is before the dataset's first day \(2020-01-01\)/);
  usage(['--start-date', S, '--end-date', S, '--messiness-level', 'filthy'], /--messiness-level: 'filthy' is not one of none, baseline, light_mess, medium_mess, heavy_mess/);
  usage(['--start-date', S, '--end-date', S, '--jobs', '0'], /--jobs: 0 is out of range/);
  assert.equal(existsSync(dest), false);

  // Exactly at the limits: equal dates are one day; 30 days with --max-days 30; one-day chunks;
  // a chunk longer than the range is one chunk; today is allowed; the future with --allow-future.
  assert.equal(plan(['--start-date', S, '--end-date', S, '--dest', dest]).chunks.length, 1);
  const p30 = plan(['--start-date', S, '--end-date', '2020-01-30', '--max-days', '30', '--chunk-days', '7', '--dest', dest]);
  assert.deepEqual(p30.chunks.map((c) => [c.start_date, c.end_date]), [
    ['2020-01-01', '2020-01-07'], ['2020-01-08', '2020-01-14'], ['2020-01-15', '2020-01-21'],
    ['2020-01-22', '2020-01-28'], ['2020-01-29', '2020-01-30']]);
  assert.equal(plan(['--start-date', S, '--end-date', '2020-01-03', '--chunk-days', '1', '--dest', dest]).chunks.length, 3);
  assert.equal(plan(['--start-date', S, '--end-date', '2020-01-03', '--chunk-days', '400', '--dest', dest]).chunks.length, 1);
  assert.equal(plan(['--start-date', tomorrow, '--end-date', tomorrow, '--allow-future', '--dest', dest]).chunks.length, 1);
  assert.equal(plan(['--start-date', today, '--end-date', today, '--dest', dest]).chunks.length, 1);
  assert.equal(existsSync(dest), false, 'a dry run creates nothing');
});

test('dry-run counts equal what the backfill writes; a re-run resumes and changes nothing', () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const args = ['--start-date', '2020-01-01', '--end-date', '2020-01-09', '--chunk-days', '4', '--dest', dest];
  const p = runJson(['backfill', '--dry-run', ...args]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.json.chunks.length, 3);
  assert.ok(p.json.total_estimated_bytes > 0);
  assert.equal(existsSync(dest), false);

  const r = runJson(['backfill', ...args]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, 'completed');
  assert.equal(r.json.partitions_failed, 0);
  const ms = manifests(dest);
  const rowsOf = (pred) => ms.filter(pred).reduce((a, m) => a + m.manifest.total_rows, 0);
  for (const c of p.json.chunks) {
    for (const [table, t] of Object.entries(c.tables)) {
      const got = rowsOf((m) => m.manifest.table === table && m.manifest.partition_value >= c.start_date &&
        m.manifest.partition_value <= c.end_date);
      assert.equal(got, t.rows, `${table} ${c.start_date}..${c.end_date}`);
    }
  }
  assert.equal(r.json.rows, p.json.total_rows);
  const est = p.json.total_estimated_bytes, real = r.json.bytes;
  assert.ok(Math.abs(est - real) / real < 0.5, `estimate ${est} vs written ${real}`);
  // Every daily partition of every day exists, _SUCCESS last, nothing hidden left behind.
  assert.equal(ms.filter((m) => m.manifest.partition_key === 'ingest_dt').length, 9 * 6);
  assert.equal(ms.filter((m) => m.manifest.table === 'customers').length, 9);
  assert.ok(ms.some((m) => m.manifest.table === 'product_catalog' && m.manifest.partition_key === 'category'));
  assert.deepEqual(stagingDirs(dest), []);

  const before = hashTree(dest);
  const again = runJson(['backfill', ...args]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.json.partitions_written, 0);
  assert.equal(again.json.partitions_skipped, r.json.partitions_written);
  assert.equal(again.json.batch_id, r.json.batch_id);
  assert.deepEqual(hashTree(dest), before);

  // The audit log: one completed row per chunk and table, and the two runs.
  const st = runJson(['status', '--dest', dest, '--limit', '1000']);
  assert.equal(st.code, 0, st.stderr);
  const log = st.json.backfill_log;
  assert.ok(log.length >= 3 * 6);
  assert.ok(log.every((row) => row.status === 'completed' && row.triggered_by && row.started_at && row.completed_at));
  const ordersChunks = log.filter((row) => row.table_name === 'orders').map((row) => [row.start_date, row.end_date]).sort();
  assert.deepEqual(ordersChunks, [['2020-01-01', '2020-01-04'], ['2020-01-05', '2020-01-08'], ['2020-01-09', '2020-01-09']]);
  assert.equal(st.json.runs.length, 2);
  assert.ok(st.json.partitions_by_state.every((row) => row.state === 'committed'));
  const text = run(['status', '--dest', dest]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /backfill_log/);

  assert.equal(verify(dest).code, 0);
});

test('files are identical for any --chunk-days and --jobs', () => {
  const d = tempDir();
  const base = ['--start-date', '2020-02-01', '--end-date', '2020-02-08', ...messLevel('medium_mess')];
  const trees = [];
  for (const extra of [['--chunk-days', '1', '--jobs', '1'], ['--chunk-days', '7', '--jobs', '2'],
    ['--chunk-days', '30', '--jobs', '1'], ['--chunk-days', '3', '--jobs', '3']]) {
    const dest = join(d, `lake-${trees.length}`);
    const r = run(['backfill', ...base, ...extra, '--dest', dest]);
    assert.equal(r.code, 0, r.stderr);
    trees.push(hashTree(dest));
  }
  assert.ok(Object.keys(trees[0]).length > 50);
  for (let i = 1; i < trees.length; i++) assert.deepEqual(trees[i], trees[0], `run ${i} differs`);
});

test('DuckDB and hyparquet read the whole lake; counts per table and day equal the manifests', async () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const r = run(['backfill', '--start-date', '2020-03-01', '--end-date', '2020-03-03', ...messLevel('heavy_mess'), '--dest', dest]);
  assert.equal(r.code, 0, r.stderr);
  const ms = manifests(dest);
  const tables = [...new Set(ms.map((m) => m.manifest.table))];
  assert.equal(tables.length, 8);
  for (const table of tables) {
    const tm = ms.filter((m) => m.manifest.table === table);
    const key = tm[0].manifest.partition_key;
    const rows = await duck(`select ${key}::varchar as k, count(*)::bigint as n, count(distinct event_id)::bigint as ids,
      count(distinct batch_id)::bigint as batches from read_parquet(${sqlStr(`${dest}/${table}/*/*.parquet`)}, hive_partitioning=true) group by 1`);
    const got = Object.fromEntries(rows.map((x) => [x.k, Number(x.n)]));
    const want = Object.fromEntries(tm.filter((m) => m.manifest.total_rows > 0).map((m) => [m.manifest.partition_value, m.manifest.total_rows]));
    assert.deepEqual(got, want, table);
    for (const x of rows) {
      assert.equal(x.ids, x.n, `${table} ${x.k}: event ids are unique`);
      assert.equal(Number(x.batches), 1);
    }
  }
  // Two independent readers agree on every file, value by value.
  for (const { manifest } of ms) {
    const types = Object.fromEntries(manifest.schema.map((f) => [f.name, f.type.replace(/\(.*/, '')]));
    for (const f of manifest.files) {
      const path = join(dest, f.path);
      const dr = await duck(`select * from read_parquet(${sqlStr(path)}, hive_partitioning=false)`);
      const { rows: hr, metadata } = await hypRead(path);
      assert.equal(dr.length, f.rows, f.path);
      assert.equal(hr.length, f.rows, f.path);
      assert.equal(Number(metadata.num_rows), f.rows);
      for (let i = 0; i < hr.length; i += Math.max(1, Math.floor(hr.length / 50))) {
        for (const [name, type] of Object.entries(types)) {
          if (type === 'decimal' || type === 'double') continue;
          assert.deepEqual(normHyp({ type }, hr[i][name]), normDuck(type, dr[i][name]), `${f.path} row ${i} ${name}`);
        }
        assert.equal(hr[i].source_file, f.path);
        assert.equal(hr[i].batch_id, manifest.batch_id);
      }
    }
  }
});

test('post-export hooks: context, failures recorded, exit 3 unless --hook-failure=warn', () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const log = join(d, 'hook.log');
  const hook = `printf '%s %s %s\\n' "$ECOMLAKE_TABLE" "$ECOMLAKE_PARTITION" "$ECOMLAKE_ROWS" >> ${log}; test -f "$ECOMLAKE_MANIFEST"`;
  const args = ['--start-date', '2020-01-01', '--end-date', '2020-01-02', '--tables', 'orders,returns', '--dest', dest];
  const r = run(['backfill', ...args, '--post-export-hook', hook]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^orders ingest_dt=2020-01-01 \d+$/);

  const d2 = tempDir();
  const dest2 = join(d2, 'lake');
  const fail = run(['backfill', ...args.slice(0, -1), dest2, '--post-export-hook', 'exit 5']);
  assert.equal(fail.code, 3, fail.stderr);
  assert.match(fail.stderr, /hook 'exit 5' failed .* exit status 5/);
  const st = runJson(['status', '--dest', dest2]);
  assert.ok(st.json.partitions_by_state.every((row) => Number(row.hook_failures) === Number(row.count)));
  assert.equal(st.json.problem_partitions.length, 4);

  const d3 = tempDir();
  const warn = run(['backfill', ...args.slice(0, -1), join(d3, 'lake'), '--post-export-hook', 'exit 5', '--hook-failure', 'warn']);
  assert.equal(warn.code, 0, warn.stderr);
  // The shipped QA hook passes on a good lake.
  const qa = run(['backfill', '--start-date', '2020-01-03', '--end-date', '2020-01-03', '--tables', 'orders', '--dest', dest,
    '--post-export-hook', 'scripts/hooks/qa-row-count.sh']);
  assert.equal(qa.code, 0, qa.stderr);
});

test('verify finds corrupt, partial, orphaned and missing partitions', () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const r = run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-04', '--tables', 'orders,order_items', '--dest', dest]);
  assert.equal(r.code, 0, r.stderr);
  const ok = verify(dest);
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(ok.json.ok_count, 8);
  assert.equal(verify(dest, ['--start-date', '2020-01-01', '--end-date', '2020-01-04']).code, 0);
  const deep = verify(dest, ['--deep']);
  assert.equal(deep.code, 0, deep.stdout);
  assert.equal(deep.json.deep, true);
  // A manifest that lies about row counts (consistently, so it still parses) only --deep can catch.
  const mpath = join(dest, 'order_items/ingest_dt=2020-01-04/_MANIFEST.json');
  const original = readFileSync(mpath, 'utf8');
  const lie = JSON.parse(original);
  lie.files[0].rows += 1;
  lie.total_rows += 1;
  writeFileSync(mpath, JSON.stringify(lie, null, 2));
  assert.equal(verify(dest).code, 0);
  const caught = verify(dest, ['--deep']);
  assert.equal(caught.code, 4);
  assert.match(caught.json.problems[0].reason, /rows in the file/);
  writeFileSync(mpath, original);

  const part = join(dest, 'orders/ingest_dt=2020-01-02/part-00000.parquet');
  const buf = readFileSync(part);
  buf[100] ^= 0xff;
  writeFileSync(part, buf);
  unlinkSync(join(dest, 'orders/ingest_dt=2020-01-03/_SUCCESS'));
  writeFileSync(join(dest, 'order_items/ingest_dt=2020-01-01/part-00007.parquet'), 'stale');
  const v = verify(dest, ['--start-date', '2020-01-01', '--end-date', '2020-01-05']);
  assert.equal(v.code, 4);
  const kinds = Object.fromEntries(v.json.problems.map((p) => [p.partition, p.kind]));
  assert.equal(kinds['orders/ingest_dt=2020-01-02'], 'corrupt');
  assert.equal(kinds['orders/ingest_dt=2020-01-03'], 'partial');
  assert.equal(kinds['order_items/ingest_dt=2020-01-01'], 'orphaned');
  assert.equal(kinds['orders/ingest_dt=2020-01-05'], 'missing');
  assert.match(v.json.problems.find((p) => p.kind === 'corrupt').reason, /sha256/);
  const text = run(['verify', '--dest', dest]);
  assert.equal(text.code, 4);
  assert.match(text.stdout, /MISMATCH/);

  // A resume repairs all of it (the stray file goes with the re-published partition).
  const again = run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-05', '--tables', 'orders,order_items', '--dest', dest]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(verify(dest).code, 0);
  assert.equal(verify(join(d, 'nope')).code, 1);
});

test('re-publishing with smaller files leaves no stale parts', () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const args = ['--start-date', '2020-01-01', '--end-date', '2020-01-01', '--tables', 'cart_items', '--dest', dest];
  let r = run(['backfill', ...args, '--target-size-mb', '1', '--batch-id', 'first']);
  assert.equal(r.code, 0, r.stderr);
  const first = manifests(dest).find((m) => m.manifest.table === 'cart_items').manifest;
  r = run(['backfill', ...args, '--batch-id', 'second']);
  assert.equal(r.code, 0, r.stderr);
  const second = manifests(dest).find((m) => m.manifest.table === 'cart_items').manifest;
  assert.equal(second.batch_id, 'second');
  assert.equal(second.total_rows, first.total_rows);
  const files = Object.keys(hashTree(join(dest, 'cart_items')));
  assert.equal(files.length, second.files.length + 2);
  assert.equal(verify(dest).code, 0);
});
