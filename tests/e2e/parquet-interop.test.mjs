// Parquet interop: files from our writer read by DuckDB and hyparquet (values, types, nulls, footer
// statistics), and files from DuckDB read by our reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir, duck } from './lib/run.mjs';
import {
  pqwrite, pqdump, duckRows, duckMeta, hypRead, normDuck, normHyp, decimalNumber, expectedStats, sqlStr,
  normDouble,
} from './lib/parquet.mjs';

const dir = tempDir('ecl-pq-');
const CODECS = ['snappy', 'zstd', 'gzip', 'none'];
const DUCK_TYPES = {
  boolean: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR',
  date: 'DATE', timestamp: 'TIMESTAMP WITH TIME ZONE',
};

function duckType(f) {
  return f.type === 'decimal' ? `DECIMAL(${f.precision},${f.scale})` : DUCK_TYPES[f.type];
}

// The JSON form of an expected value as hyparquet returns it.
function hypExpected(f, v) {
  if (v === null) return null;
  return f.type === 'decimal' ? decimalNumber(v, f.scale) : v;
}

async function checkWithDuckDB(file, exp) {
  const rows = await duckRows(file);
  assert.equal(rows.length, exp.rows);
  const desc = await duck(`describe select * from read_parquet(${sqlStr(file)})`);
  exp.schema.forEach((f, ci) => {
    assert.equal(desc[ci].column_name, f.name);
    assert.equal(desc[ci].column_type, duckType(f), `type of ${f.name}`);
    const got = rows.map((r) => normDuck(f.type, r[f.name]));
    assert.deepEqual(got, exp.columns[ci], `duckdb values of ${f.name}`);
  });
  // footer statistics per row group, against statistics computed from the written values
  const meta = await duckMeta(file);
  let start = 0;
  for (const rg of new Set(meta.map((m) => Number(m.row_group_id)))) {
    const cols = meta.filter((m) => Number(m.row_group_id) === rg);
    const n = Number(cols[0].row_group_num_rows);
    for (const [ci, f] of exp.schema.entries()) {
      const m = cols[ci];
      const want = expectedStats(f.type, exp.columns[ci], start, start + n);
      assert.equal(Number(m.stats_null_count), want.null_count, `null_count ${f.name} rg ${rg}`);
      assert.equal(Number(m.num_values), n);
      if (want.min === undefined) {
        assert.equal(m.stats_min_value, null, `no min for ${f.name}`);
        continue;
      }
      if (f.type === 'double') {
        // DuckDB shows infinite statistics as NULL
        const show = (v) => (v === 'Infinity' || v === '-Infinity' ? null : Number(v === '-0' ? 0 : v));
        assert.equal(m.stats_min_value === null ? null : Number(m.stats_min_value), show(want.min));
        assert.equal(m.stats_max_value === null ? null : Number(m.stats_max_value), show(want.max));
      } else if (f.type === 'string') {
        if (Buffer.byteLength(want.min) <= 4096 && Buffer.byteLength(want.max) <= 4096) {
          assert.equal(m.stats_min_value, want.min, `min ${f.name}`);
          assert.equal(m.stats_max_value, want.max, `max ${f.name}`);
        }
      } else {
        const col = `"${f.name}"`;
        const [q] = await duck(`select min(${col})::varchar as lo, max(${col})::varchar as hi
          from read_parquet(${sqlStr(file)}, file_row_number = true)
          where file_row_number >= ${start} and file_row_number < ${start + n}`);
        assert.equal(m.stats_min_value, q.lo, `min ${f.name} rg ${rg}`);
        assert.equal(m.stats_max_value, q.hi, `max ${f.name} rg ${rg}`);
      }
    }
    start += n;
  }
  assert.equal(start, exp.rows);
  return meta;
}

async function checkWithHyparquet(file, exp) {
  const { metadata, rows } = await hypRead(file);
  assert.equal(rows.length, exp.rows);
  exp.schema.forEach((f, ci) => {
    const got = rows.map((r) => normHyp(f, r[f.name]));
    assert.deepEqual(got, exp.columns[ci].map((v) => hypExpected(f, v)), `hyparquet values of ${f.name}`);
  });
  let start = 0;
  for (const [rg, g] of metadata.row_groups.entries()) {
    const n = Number(g.num_rows);
    for (const [ci, f] of exp.schema.entries()) {
      const st = g.columns[ci].meta_data.statistics;
      const want = expectedStats(f.type, exp.columns[ci], start, start + n);
      assert.equal(Number(st.null_count), want.null_count, `hyparquet null_count ${f.name} rg ${rg}`);
      if (want.min === undefined || (f.type === 'string' && (Buffer.byteLength(want.min) > 4096 || Buffer.byteLength(want.max) > 4096))) {
        assert.equal(st.min_value, undefined);
        continue;
      }
      const norm = (v) => (f.type === 'double' ? normDouble(v) : normHyp(f, v));
      assert.deepEqual(norm(st.min_value), hypExpected(f, want.min), `hyparquet min ${f.name} rg ${rg}`);
      assert.deepEqual(norm(st.max_value), hypExpected(f, want.max), `hyparquet max ${f.name} rg ${rg}`);
    }
    start += n;
  }
}

// Our reader against the values and statistics our writer says it wrote.
function checkWithOurReader(file, exp) {
  const d = pqdump(file);
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(d.json.schema, exp.schema);
  assert.deepEqual(d.json.columns, exp.columns);
  let start = 0;
  for (const g of d.json.row_groups) {
    exp.schema.forEach((f, ci) => {
      const want = expectedStats(f.type, exp.columns[ci], start, start + g.rows);
      if (f.type === 'string' && want.min !== undefined &&
          (Buffer.byteLength(want.min) > 4096 || Buffer.byteLength(want.max) > 4096)) {
        delete want.min;
        delete want.max;
      }
      const got = { ...g.stats[ci] };
      assert.deepEqual(got, JSON.parse(JSON.stringify(want)), `our stats of ${f.name}`);
    });
    start += g.rows;
  }
}

for (const codec of CODECS) {
  for (const nulls of [0, 0.25]) {
    test(`our writer -> duckdb + hyparquet: all types, ${codec}, ${nulls ? 'nullable' : 'required'}`, async () => {
      const file = join(dir, `all-${codec}-${nulls}.parquet`);
      const exp = pqwrite(['--out', file, '--rows', '3000', '--seed', String(11 + nulls * 4), '--codec', codec,
        '--nulls', String(nulls), '--page-bytes', '4096', '--rg-bytes', '40000', '--batch', '700']);
      const meta = await checkWithDuckDB(file, exp);
      assert.ok(new Set(meta.map((m) => m.row_group_id)).size > 1, 'several row groups');
      assert.ok(meta.every((m) => m.compression === (codec === 'none' ? 'UNCOMPRESSED' : codec.toUpperCase())));
      await checkWithHyparquet(file, exp);
      checkWithOurReader(file, exp);
    });
  }
}

test('our writer: dictionary fallback, long strings, all-null and single-row files', async () => {
  const cases = [
    ['fallback', ['--rows', '5000', '--types', 'string,int64,double,decimal(18,2)', '--dict-max', '2000', '--page-bytes', '3000']],
    ['nodict', ['--rows', '500', '--no-dict', '--nulls', '0.1']],
    ['long', ['--rows', '60', '--types', 'string', '--long-strings', '--codec', 'zstd']],
    ['allnull', ['--rows', '50', '--nulls', '1']],
    ['single', ['--rows', '1', '--nulls', '0']],
    ['zero', ['--rows', '0']],
  ];
  for (const [name, args] of cases) {
    const file = join(dir, `case-${name}.parquet`);
    const exp = pqwrite(['--out', file, '--seed', '5', ...args]);
    await checkWithDuckDB(file, exp);
    await checkWithHyparquet(file, exp);
    checkWithOurReader(file, exp);
    if (name === 'fallback') {
      const meta = await duckMeta(file);
      assert.ok(meta.some((m) => m.encodings.includes('RLE_DICTIONARY') && m.encodings.includes('PLAIN')),
        'a chunk that starts with a dictionary and falls back to plain');
    }
  }
});

test('our writer: random schemas round-trip through duckdb and hyparquet', async () => {
  for (const seed of [101, 202, 303, 404]) {
    const file = join(dir, `random-${seed}.parquet`);
    const codec = CODECS[seed % 4];
    const exp = pqwrite(['--out', file, '--seed', String(seed), '--random-schema', '--rows', String(200 + seed * 3),
      '--codec', codec, '--page-bytes', '2048', '--rg-bytes', '30000', '--batch', String(97 + seed)]);
    await checkWithDuckDB(file, exp);
    await checkWithHyparquet(file, exp);
    checkWithOurReader(file, exp);
    // and back: DuckDB rewrites our file, our reader reads DuckDB's file
    const again = join(dir, `random-${seed}-duck.parquet`);
    await duck(`COPY (select * from read_parquet(${sqlStr(file)})) TO ${sqlStr(again)} (FORMAT parquet, COMPRESSION ${codec === 'none' ? 'uncompressed' : codec}, ROW_GROUP_SIZE 150${seed % 2 ? ', PARQUET_VERSION v2' : ''})`);
    const d = pqdump(again);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(d.json.columns, exp.columns, `our reader on duckdb's copy, seed ${seed}`);
  }
});

// A DuckDB table of many types with nulls, dictionary-friendly and unique columns.
const DUCK_TABLE = `select i::INTEGER as a, (i * 1000003)::BIGINT as b, i % 7 = 0 as c, i / 3.0::DOUBLE as d,
  'str' || (i % 13) as e, case when i % 5 = 0 then null else 'x' || i || '-ü' end as f,
  DATE '1960-01-01' + (i % 20000)::INTEGER as g,
  TIMESTAMPTZ '1969-12-31 00:00:00+00' + to_microseconds(i * 1234567) as h,
  ((i * 7 - 50000) / 100)::DECIMAL(9,2) as j, (i * -123456789)::DECIMAL(18,3) as k,
  (i % 100)::TINYINT as l, (i % 100)::FLOAT as m, case when i % 3 = 0 then null else i end as n,
  TIMESTAMP '2020-01-01' + to_microseconds(i) as o, i::UINTEGER as p, (i % 3)::SMALLINT as q,
  case when i % 2 = 0 then null else ((i % 600) * 1.5)::DECIMAL(4,1) end as r
  from range(0, 12000) t(i)`;

const DUCK_AS_OURS = {
  INTEGER: 'int32', BIGINT: 'int64', BOOLEAN: 'boolean', DOUBLE: 'double', VARCHAR: 'string', DATE: 'date',
  'TIMESTAMP WITH TIME ZONE': 'timestamp', TIMESTAMP: 'timestamp', TINYINT: 'int32', SMALLINT: 'int32',
  FLOAT: 'double', UINTEGER: 'int64',
};

for (const [label, opts] of [
  ['defaults', ''],
  ['zstd, small row groups', ', COMPRESSION zstd, ROW_GROUP_SIZE 2500'],
  ['gzip, v2 pages', ', COMPRESSION gzip, PARQUET_VERSION v2'],
  ['uncompressed, v2, small row groups', ', COMPRESSION uncompressed, PARQUET_VERSION v2, ROW_GROUP_SIZE 3000'],
  ['snappy, v1', ', COMPRESSION snappy, PARQUET_VERSION v1, ROW_GROUP_SIZE 5000'],
]) {
  test(`duckdb writer (${label}) -> our reader`, async () => {
    const file = join(dir, `duck-${label.replace(/\W+/g, '-')}.parquet`);
    await duck(`COPY (${DUCK_TABLE}) TO ${sqlStr(file)} (FORMAT parquet${opts})`);
    const d = pqdump(file);
    assert.equal(d.code, 0, d.stderr);
    const desc = await duck(`describe select * from read_parquet(${sqlStr(file)})`);
    const rows = await duckRows(file);
    assert.equal(d.json.rows, rows.length);
    desc.forEach((col, ci) => {
      const f = d.json.schema[ci];
      assert.equal(f.name, col.column_name);
      const want = col.column_type.startsWith('DECIMAL') ? 'decimal' : DUCK_AS_OURS[col.column_type];
      assert.equal(f.type, want, `type of ${f.name}`);
      assert.deepEqual(d.json.columns[ci], rows.map((r) => normDuck(want, r[f.name])), `values of ${f.name}`);
    });
    const meta = await duckMeta(file);
    assert.equal(d.json.row_groups.length, new Set(meta.map((m) => m.row_group_id)).size);
    for (const m of meta) {
      const st = d.json.row_groups[Number(m.row_group_id)].stats[Number(m.column_id)];
      assert.equal(st.null_count, Number(m.stats_null_count), `null count ${m.path_in_schema}`);
    }
  });
}

test('our reader refuses nested DuckDB files and reads flat ones with odd types', async () => {
  const nested = join(dir, 'nested.parquet');
  await duck(`COPY (select [1, 2] as l, {'a': 1} as s) TO ${sqlStr(nested)} (FORMAT parquet)`);
  const d = pqdump(nested);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /only flat schemas are supported/);
  const odd = join(dir, 'odd.parquet');
  await duck(`COPY (select '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID as u, 'blob'::BLOB as bl,
    12345678901234.5678::DECIMAL(18,4) as big, -0.5::DECIMAL(38,1)::DECIMAL(18,1) as neg) TO ${sqlStr(odd)} (FORMAT parquet)`);
  const o = pqdump(odd);
  assert.equal(o.code, 0, o.stderr);
  assert.deepEqual(o.json.columns, [['6ba7b810-9dad-11d1-80b4-00c04fd430c8'], ['blob'], ['123456789012345678'], ['-5']]);
  const wide = join(dir, 'wide.parquet');
  await duck(`COPY (select 1::DECIMAL(30,2) as w) TO ${sqlStr(wide)} (FORMAT parquet)`);
  const w = pqdump(wide);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /wider than 18 digits/);
});

test('our writer: key-value metadata, created_by, identical bytes for any thread count', async () => {
  const { readFileSync } = await import('node:fs');
  const a = join(dir, 'kv1.parquet'), b = join(dir, 'kv2.parquet'), c = join(dir, 'kv3.parquet');
  const args = ['--rows', '20000', '--seed', '9', '--nulls', '0.1', '--kv', 'seed=9', '--quiet'];
  pqwrite(['--out', a, '--threads', '1', '--batch', '333', ...args]);
  pqwrite(['--out', b, '--threads', '2', '--batch', '20000', ...args]);
  pqwrite(['--out', c, '--threads', '8', '--batch', '1', ...args]);
  assert.ok(readFileSync(a).equals(readFileSync(b)), 'threads 1 vs 2');
  assert.ok(readFileSync(a).equals(readFileSync(c)), 'threads 1 vs 8, batch sizes differ');
  const kv = await duck(`select decode(key) as k, decode(value) as v from parquet_kv_metadata(${sqlStr(a)}) order by k`);
  assert.deepEqual(kv.map((r) => [r.k, r.v]), [['seed', '9'], ['writer', 'ecomlake 0.1.0']]);
  const [fm] = await duck(`select created_by from parquet_file_metadata(${sqlStr(a)})`);
  assert.match(fm.created_by, /^ecomlake version \d+\.\d+\.\d+ \(build .+\)$/);
});
