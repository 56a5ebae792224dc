// ecomlake reload: chunked delete-and-reload of a warehouse table from committed lake partitions,
// validated like the managed backfill (with its defects fixed) and audited in backfill_log.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ecl, tempDir } from './lib/run.mjs';

let lake;
const sqlite = (db, sql) => execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
const manifestRows = (table, day) =>
  JSON.parse(readFileSync(join(lake, table, `ingest_dt=${day}`, '_MANIFEST.json'), 'utf8')).total_rows;

before(() => {
  lake = join(tempDir('ecl-reload-'), 'lake');
  const r = ecl(['backfill', '--start-date', '2024-10-01', '--end-date', '2024-10-10', '--tables', 'orders,returns',
    '--dest', lake, '--no-progress', '--quiet'], { env: { SOURCE_DATE_EPOCH: '1735689600' } });
  assert.equal(r.code, 0, r.stderr);
});

const days = (a, b) => {
  const out = [];
  for (let d = new Date(a + 'T00:00:00Z'); d <= new Date(b + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + 1))
    out.push(d.toISOString().slice(0, 10));
  return out;
};

test('a dry run counts what would change and changes nothing', () => {
  const wh = join(tempDir(), 'wh.sqlite');
  const r = ecl(['reload', '--warehouse', wh, '--table', 'orders', '--source', lake, '--start-date', '2024-10-01',
    '--end-date', '2024-10-07', '--dry-run', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.status, 'simulated');
  assert.equal(s.chunks.length, 1);
  const want = days('2024-10-01', '2024-10-07').reduce((n, d) => n + manifestRows('orders', d), 0);
  assert.equal(s.rows_inserted, want);
  assert.equal(s.rows_deleted, 0);
  assert.equal(sqlite(wh, "SELECT count(*) FROM sqlite_master WHERE name = 'orders'"), '0');
  assert.equal(sqlite(wh, "SELECT group_concat(status) FROM backfill_log"), 'simulated');
});

test('reload loads every committed row, chunk by chunk, and a re-run skips completed chunks', () => {
  const wh = join(tempDir(), 'wh.sqlite');
  const args = ['reload', '--warehouse', wh, '--table', 'orders', '--source', lake, '--start-date', '2024-10-01',
    '--end-date', '2024-10-10', '--chunk-days', '3', '--json'];
  const r = ecl(args);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.chunks.map((c) => [c.start, c.end]),
    [['2024-10-01', '2024-10-03'], ['2024-10-04', '2024-10-06'], ['2024-10-07', '2024-10-09'], ['2024-10-10', '2024-10-10']]);
  for (const d of days('2024-10-01', '2024-10-10'))
    assert.equal(Number(sqlite(wh, `SELECT count(*) FROM orders WHERE ingest_dt = '${d}'`)), manifestRows('orders', d), d);
  assert.equal(Number(sqlite(wh, 'SELECT count(DISTINCT order_id) FROM orders')), s.rows_inserted);
  const log = sqlite(wh, "SELECT chunk_index, status, rows_affected FROM backfill_log ORDER BY chunk_index").split('\n');
  assert.equal(log.length, 4);
  for (const l of log) assert.match(l, /\|completed\|\d+$/);
  // a money column keeps its cents
  assert.match(sqlite(wh, 'SELECT net_total FROM orders LIMIT 1'), /^\d+(\.\d{1,2})?$/);

  const again = JSON.parse(ecl(args).stdout);
  assert.equal(again.chunks_skipped, 4);
  assert.equal(again.rows_inserted, 0);

  const forced = ecl([...args, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  const f = JSON.parse(forced.stdout);
  assert.equal(f.rows_deleted, s.rows_inserted);
  assert.equal(f.rows_inserted, s.rows_inserted);
  assert.equal(Number(sqlite(wh, 'SELECT count(*) FROM orders')), s.rows_inserted);
});

test('an uncommitted partition fails its chunk before anything is deleted', () => {
  const wh = join(tempDir(), 'wh.sqlite');
  const base = ['reload', '--warehouse', wh, '--table', 'returns', '--source', lake, '--chunk-days', '5'];
  assert.equal(ecl([...base, '--start-date', '2024-10-01', '--end-date', '2024-10-10']).code, 0);
  const before = sqlite(wh, 'SELECT count(*) FROM returns');
  const marker = join(lake, 'returns', 'ingest_dt=2024-10-08', '_SUCCESS');
  const saved = readFileSync(marker);
  rmSync(marker);
  try {
    const r = ecl([...base, '--start-date', '2024-10-01', '--end-date', '2024-10-10', '--force']);
    assert.equal(r.code, 3, r.stderr); // the first chunk reloads, the second fails: partial
    assert.match(r.stderr, /ingest_dt=2024-10-08' is not committed/);
    assert.equal(sqlite(wh, 'SELECT count(*) FROM returns'), before);
    assert.match(sqlite(wh, "SELECT status FROM backfill_log WHERE start_date = '2024-10-06' ORDER BY started_at DESC LIMIT 1"), /failed/);
  } finally {
    writeFileSync(marker, saved);
  }
});

test('validation rules, each with its message', () => {
  const wh = join(tempDir(), 'wh.sqlite');
  const base = ['reload', '--warehouse', wh, '--table', 'orders', '--source', lake];
  const cases = [
    [['--start-date', '2024-10-05', '--end-date', '2024-10-04'], /start date \(2024-10-05\) is after end date \(2024-10-04\)/],
    [['--start-date', '2024-13-01', '--end-date', '2024-10-04'], /--start-date: '2024-13-01' is not a valid date/],
    [['--start-date', '2024-10-01', '--end-date', '2999-01-01', '--max-days', '0'], /end date \(2999-01-01\) is in the future/],
    [['--start-date', '2024-01-01', '--end-date', '2024-01-31'], /date range \(31 days\) exceeds the maximum \(30 days\)/],
    [['--start-date', '2024-10-01', '--end-date', '2024-10-10', '--chunk-days', '0'], /--chunk-days: 0 is out of range/],
    [['--start-date', '2024-10-01', '--end-date', '2024-10-10', '--chunk-days', '31'], /--chunk-days \(31\) must be between 1 and --max-days \(30\)/],
    [['--end-date', '2024-10-10'], /--start-date is required/],
  ];
  for (const [args, re] of cases) {
    const r = ecl([...base, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  // exactly at the limit: 30 days and a chunk as long as the range are fine (dry run)
  const ok = ecl([...base, '--start-date', '2024-09-11', '--end-date', '2024-10-10', '--chunk-days', '30', '--dry-run']);
  assert.equal(ok.code, 0, ok.stderr);
  // equal dates are a one-day range
  const one = ecl([...base, '--start-date', '2024-10-02', '--end-date', '2024-10-02', '--dry-run', '--json']);
  assert.equal(JSON.parse(one.stdout).chunks.length, 1);
});

test('a table the lake does not have is a clear failure', () => {
  const wh = join(tempDir(), 'wh.sqlite');
  const r = ecl(['reload', '--warehouse', wh, '--table', 'nope', '--source', lake, '--start-date', '2024-10-01',
    '--end-date', '2024-10-02']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /table 'nope' is not in the lake/);
  const bad = ecl(['reload', '--warehouse', wh, '--table', 'x;drop', '--source', lake, '--start-date', '2024-10-01',
    '--end-date', '2024-10-02']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a plain identifier/);
  assert.ok(!existsSync(join(lake, 'nope')));
});

test('reload into PostgreSQL gives the same rows and money as the lake', async (t) => {
  const { startPg, pgSkipReason } = await import('./lib/pgserver.mjs');
  const why = pgSkipReason();
  if (why) return t.skip(why);
  const pg = await startPg();
  try {
    const url = pg.createDb('reload_t');
    const r = ecl(['reload', '--warehouse', url, '--table', 'orders', '--source', lake, '--start-date', '2024-10-01',
      '--end-date', '2024-10-10', '--chunk-days', '4', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(Number(pg.psql(url, 'SELECT count(*) FROM orders')), s.rows_inserted);
    for (const d of ['2024-10-01', '2024-10-10'])
      assert.equal(Number(pg.psql(url, `SELECT count(*) FROM orders WHERE ingest_dt = DATE '${d}'`)), manifestRows('orders', d));
    // exact decimals and real types survive the load
    assert.equal(pg.psql(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'net_total'"), 'numeric');
    const { duck } = await import('./lib/run.mjs');
    const [want] = await duck(`SELECT sum(net_total)::VARCHAR AS s FROM read_parquet('${lake}/orders/*/*.parquet', hive_partitioning = true) WHERE ingest_dt BETWEEN '2024-10-01' AND '2024-10-10'`);
    assert.equal(pg.psql(url, 'SELECT sum(net_total) FROM orders'), want.s);
    assert.equal(pg.psql(url, "SELECT count(*) FROM backfill_log WHERE status = 'completed'"), '3');
    // idempotent: forcing a reload replaces the same rows
    const f = JSON.parse(ecl(['reload', '--warehouse', url, '--table', 'orders', '--source', lake, '--start-date',
      '2024-10-01', '--end-date', '2024-10-10', '--chunk-days', '4', '--json', '--force']).stdout);
    assert.equal(f.rows_deleted, s.rows_inserted);
    assert.equal(Number(pg.psql(url, 'SELECT count(*) FROM orders')), s.rows_inserted);
  } finally {
    pg.stop();
  }
});
