// verify --deep reads every file and checks the statistics it states (column chunk and data pages,
// null_count and min/max) against its data. A file whose statistics lie but whose bytes match the
// manifest passes a plain verify and fails --deep with exit 4, naming file, column and statistic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir } from './lib/run.mjs';
import { run } from './lib/rawzone.mjs';

const PART = 'orders/ingest_dt=2020-01-01/part-00000.parquet';

function statLocations(file) {
  return JSON.parse(execFileSync(join(ROOT, 'build', 'tools', 'pqstatloc'), [file], { encoding: 'utf8' }));
}

// Copies the lake, patches one statistic of PART in place and re-seals the manifest with the new
// SHA-256 (same size), so only reading the file can tell.
function lyingLake(lake, dir, patch) {
  const copy = join(dir, `lake-${Math.random().toString(36).slice(2)}`);
  cpSync(lake, copy, { recursive: true });
  const file = join(copy, PART);
  const bytes = readFileSync(file);
  const loc = statLocations(file);
  patch(bytes, loc);
  writeFileSync(file, bytes);
  const mpath = join(copy, 'orders/ingest_dt=2020-01-01/_MANIFEST.json');
  const m = JSON.parse(readFileSync(mpath, 'utf8'));
  m.files.find((f) => f.path === PART).sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(mpath, JSON.stringify(m, null, 2) + '\n');
  return copy;
}

const col = (loc, name) => loc.columns.findIndex((c) => c.name === name);

test('verify --deep: statistics that lie are found, by file, column and statistic', () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  const b = run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-02', '--dest', lake,
    '--tables', 'orders', '--messiness-level', 'heavy_mess']);
  assert.equal(b.code, 0, b.stderr);
  const ok = run(['verify', '--dest', lake, '--deep']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);

  const cases = [
    // the chunk's max order_id (a string) one byte higher
    [(buf, loc) => { const [o, n] = loc.row_groups[0].columns[col(loc, 'order_id')].chunk.max_value; buf[o + n - 1]++; },
      /order_id' chunk statistics: max_value is "ORD-\d+.", the data's maximum is "ORD-\d+"/],
    // the first data page's minimum order_date (a timestamp)
    [(buf, loc) => { const [o] = loc.row_groups[0].columns[col(loc, 'order_date')].pages[0].stats.min_value; buf[o]++; },
      /order_date' data page 0 \(rows 0-\d+\) statistics: min_value is 2020-01-0\dT[\d:.]+, the data's minimum is/],
    // the chunk's null_count of a column with deprecated min/max before it (two more nulls)
    [(buf, loc) => { buf[loc.row_groups[0].columns[col(loc, 'total_items')].chunk.null_count_at] += 4; },
      /total_items' chunk statistics: null_count is \d+, the data has \d+ null\(s\)/],
    // a boolean's max flipped
    [(buf, loc) => {
      const c = loc.row_groups[0].columns[col(loc, 'is_expedited')].chunk;
      assert.notEqual(c.max_value, null);
      buf[c.max_value[0]] ^= 1;
    }, /is_expedited' chunk statistics: (max_value is false, the data's maximum is true|max_value is true, the data's maximum is false)/],
  ];
  for (const [patch, re] of cases) {
    const bad = lyingLake(lake, dir, patch);
    const plain = run(['verify', '--dest', bad]);
    assert.equal(plain.code, 0, `sizes and hashes still match: ${plain.stdout}${plain.stderr}`);
    const deep = run(['verify', '--dest', bad, '--deep']);
    assert.equal(deep.code, 4, deep.stdout + deep.stderr);
    const out = deep.stdout + deep.stderr;
    assert.ok(out.includes(PART), out);
    assert.match(out, re);
  }
});

// The manifest's own claims about the data: column types, the event-time range, and each row's
// lineage (source_file is the file's own path).
test('verify --deep: manifest claims about types, event times and lineage are checked', () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  const b = run(['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-01', '--dest', lake, '--tables', 'orders']);
  assert.equal(b.code, 0, b.stderr);
  const mdir = 'orders/ingest_dt=2020-01-01';
  const edit = (fn) => {
    const copy = join(dir, `lake-${Math.random().toString(36).slice(2)}`);
    cpSync(lake, copy, { recursive: true });
    const mpath = join(copy, mdir, '_MANIFEST.json');
    const m = JSON.parse(readFileSync(mpath, 'utf8'));
    fn(m, copy);
    writeFileSync(mpath, JSON.stringify(m, null, 2) + '\n');
    return copy;
  };
  const cases = [
    [(m) => { m.max_event_time = '2020-01-01T23:59:59.999999Z'; },
      /the manifest's max_event_time is 2020-01-01T23:59:59.999999Z, the data's is 2020-01-01T\d\d:\d\d:\d\d\.\d{6}Z/],
    [(m) => { m.schema.find((f) => f.name === 'total_items').type = 'int64'; },
      /column 'total_items' is int32 in the file, int64 in the manifest/],
    [(m, copy) => {
      // the file moved (with its manifest entry): its rows still say where they were written
      const f = m.files[0];
      const moved = f.path.replace('part-00000', 'part-00007');
      renameSync(join(copy, f.path), join(copy, moved));
      f.path = moved;
    }, /row 0 has source_file 'orders\/ingest_dt=2020-01-01\/part-00000\.parquet', but it lives in 'orders\/ingest_dt=2020-01-01\/part-00007\.parquet'/],
  ];
  for (const [fn, re] of cases) {
    const bad = edit(fn);
    assert.equal(run(['verify', '--dest', bad]).code, 0);
    const deep = run(['verify', '--dest', bad, '--deep']);
    assert.equal(deep.code, 4, deep.stdout + deep.stderr);
    assert.match(deep.stdout + deep.stderr, re);
  }
});
