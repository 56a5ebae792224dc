// ecomlake continuous with a fake clock: every window exactly once, catch-up after gaps, settings
// pinned by the state, concurrent schedulers, clean SIGTERM, and time zones from the tz database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ecl, eclSpawn, tempDir } from './lib/run.mjs';

const TAGS = ['window_1012', 'window_1214', 'window_1416', 'window_1618', 'window_1820', 'window_2022', 'window_2224'];

function tick(root, now, extra = []) {
  const r = ecl(['continuous', '--output-dir', root, '--units', '4', '--seed', '3', '--once', '--now', now,
    '--json', '--no-fsync', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

function stateRows(root) {
  const r = spawnSync('sqlite3', [join(root, '.ecomlake-continuous.db'),
    "select date || ' ' || window || ' ' || catch_up from continuous_windows order by date, window"], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean);
}

test('a day with a gap: every window exactly once, missed ones caught up', () => {
  const root = tempDir();
  const seen = [];
  const at = (t) => { const ev = tick(root, t); seen.push(...ev); return ev.map((e) => `${e.window}${e.catch_up ? '*' : ''}`); };
  assert.deepEqual(at('2026-02-01T09:30:00-03:00'), []); // before the first window closes
  assert.deepEqual(at('2026-02-01T12:00:00-03:00'), ['window_1012']); // closes exactly at 12:00
  assert.deepEqual(at('2026-02-01T12:01:00-03:00'), []); // never twice
  assert.deepEqual(at('2026-02-01T14:02:00-03:00'), ['window_1214']);
  // down from 14:02 to 20:40: 14-16, 16-18 are missed, 18-20 is the latest closed
  assert.deepEqual(at('2026-02-01T20:40:00-03:00'), ['window_1416*', 'window_1618*', 'window_1820']);
  assert.deepEqual(at('2026-02-01T23:59:00-03:00'), ['window_2022']);
  assert.deepEqual(at('2026-02-02T00:00:00-03:00'), ['window_2224']); // 22-24 closes at midnight
  assert.deepEqual(at('2026-02-02T03:00:00Z'), []); // same instant, other notation
  assert.deepEqual(seen.map((e) => e.window), TAGS);
  assert.ok(seen.every((e) => e.date === '2026-02-01' && e.files === 8));
  assert.equal(stateRows(root).length, 7);
  // down for two days: day 2 is caught up whole, day 3 up to now
  const ev = tick(root, '2026-02-04T12:30:00-03:00');
  assert.deepEqual(ev.map((e) => `${e.date} ${e.window}`), [
    ...TAGS.map((t) => `2026-02-02 ${t}`), ...TAGS.map((t) => `2026-02-03 ${t}`), '2026-02-04 window_1012']);
  assert.ok(ev.slice(0, -1).every((e) => e.catch_up) && !ev.at(-1).catch_up);
  assert.equal(stateRows(root).length, 22);
  // what the scheduler published is exactly what `window` generates for that window
  const other = tempDir();
  assert.equal(ecl(['window', '--date', '2026-02-03', '--window-start', '18:00', '--window-end', '20:00', '--units', '4',
    '--seed', '3', '--output-dir', other, '--no-fsync']).code, 0);
  for (let u = 1; u <= 4; u++) {
    const rel = `csv_sales/2026/02/03/unit_00${u}/window_1820`;
    for (const f of ['pedido.csv', 'item_pedido.csv', '_MANIFEST.json']) {
      assert.ok(readFileSync(join(root, rel, f)).equals(readFileSync(join(other, rel, f))), `${rel}/${f}`);
    }
  }
  assert.ok(existsSync(join(root, 'reference_data', '_SUCCESS')));
});

test('the state pins units, seed and time zone; --since backfills earlier dates', () => {
  const root = tempDir();
  tick(root, '2026-05-10T12:30:00-03:00');
  const bad = ecl(['continuous', '--output-dir', root, '--units', '5', '--seed', '3', '--once', '--now', '2026-05-10T15:00:00-03:00']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--units 4/);
  const ev = tick(root, '2026-05-10T12:40:00-03:00', ['--since', '2026-05-09']);
  assert.equal(ev.length, 7);
  assert.ok(ev.every((e) => e.date === '2026-05-09' && e.catch_up));
  assert.equal(ecl(['continuous', '--output-dir', root, '--once', '--now', 'noon']).code, 2);
  assert.equal(ecl(['continuous', '--output-dir', root, '--once', '--timezone', 'Nowhere/Land']).code, 2);
});

test('two schedulers sharing one state never publish a window twice', async () => {
  const root = tempDir();
  const runOne = () => new Promise((resolve) => {
    const p = eclSpawn(['continuous', '--output-dir', root, '--units', '6', '--once', '--now', '2026-02-02T00:30:00-03:00',
      '--json', '--no-fsync', '--since', '2026-01-30']);
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
  const rs = await Promise.all([runOne(), runOne(), runOne()]);
  const lines = [];
  for (const r of rs) {
    assert.equal(r.code, 0, r.err);
    lines.push(...r.out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  const keys = lines.map((e) => `${e.date} ${e.window}`);
  assert.equal(keys.length, 21, 'three days of windows in total');
  assert.equal(new Set(keys).size, 21, 'no window published twice');
});

test('a long-running scheduler publishes when a window closes and stops cleanly on SIGTERM', async () => {
  const root = tempDir();
  const p = eclSpawn(['continuous', '--output-dir', root, '--units', '2', '--now', '2026-02-01T11:59:58-03:00',
    '--json', '--no-fsync']);
  let out = '', err = '';
  p.stderr.on('data', (d) => { err += d; });
  const first = new Promise((resolve) => {
    p.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(); });
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
  await first;
  const t0 = Date.now();
  p.kill('SIGTERM');
  const code = await new Promise((resolve) => p.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, err);
  assert.ok(Date.now() - t0 < 3000, 'stops promptly');
  assert.match(err, /stopping on signal/);
  assert.equal(JSON.parse(out.trim().split('\n')[0]).window, 'window_1012');
  assert.ok(existsSync(join(root, 'csv_sales/2026/02/01/unit_002/window_1012/_SUCCESS')));
});

test('time zones come from the tz database, daylight saving included', () => {
  const root = tempDir();
  const offsets = {};
  for (const date of ['2026-01-15', '2026-07-15']) {
    assert.equal(ecl(['window', '--date', date, '--window-start', '12:00', '--window-end', '14:00', '--units', '1',
      '--timezone', 'America/New_York', '--output-dir', root, '--no-fsync']).code, 0);
    const [y, m, d] = date.split('-');
    const ped = readFileSync(join(root, 'csv_sales', y, m, d, 'unit_001/window_1214/pedido.csv'), 'utf8').trim().split('\n');
    offsets[date] = ped[1].split(';').at(-1).slice(-6);
    assert.match(ped[1].split(';').at(-1), new RegExp(`^${date}T1[23]:`));
  }
  assert.deepEqual(offsets, { '2026-01-15': '-05:00', '2026-07-15': '-04:00' });
  // a Sao Paulo schedule closes 12:00 local = 15:00 UTC all year (no DST since 2019)
  const r2 = tempDir();
  const ev = tick(r2, '2026-07-01T14:59:00Z');
  assert.deepEqual(ev, []);
  assert.equal(tick(r2, '2026-07-01T15:00:00Z')[0].window, 'window_1012');
  assert.ok(readdirSync(join(r2, 'csv_sales/2026/07/01')).length === 4);
});

test('continuous --format parquet publishes what window --format parquet does; the state pins the format', () => {
  const root = tempDir();
  const ev = tick(root, '2026-02-01T16:05:00-03:00', ['--format', 'parquet']);
  assert.deepEqual(ev.map((e) => e.window), ['window_1012', 'window_1214', 'window_1416']);
  const other = tempDir();
  assert.equal(ecl(['window', '--date', '2026-02-01', '--window-start', '14:00', '--window-end', '16:00', '--units', '4',
    '--seed', '3', '--format', 'parquet', '--output-dir', other, '--no-fsync']).code, 0);
  for (let u = 1; u <= 4; u++) {
    const rel = `csv_sales/2026/02/01/unit_00${u}/window_1416`;
    assert.deepEqual(readdirSync(join(root, rel)).sort(), ['_MANIFEST.json', '_SUCCESS', 'item_pedido.parquet', 'pedido.parquet']);
    for (const f of ['pedido.parquet', 'item_pedido.parquet', '_MANIFEST.json'])
      assert.ok(readFileSync(join(root, rel, f)).equals(readFileSync(join(other, rel, f))), `${rel}/${f}`);
  }
  assert.ok(existsSync(join(root, 'reference_data', 'unidade.parquet')));
  // the schedule was created with parquet: a CSV run against the same state is refused
  const bad = ecl(['continuous', '--output-dir', root, '--units', '4', '--seed', '3', '--once', '--now', '2026-02-01T18:05:00-03:00']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--format parquet, not csv/);
  assert.equal(ecl(['continuous', '--output-dir', root, '--format', 'avro', '--once']).code, 2);
});
