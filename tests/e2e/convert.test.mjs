// ecomlake convert: CSV -> Parquet under a contract for every type x codec x nullability, read back
// by DuckDB and hyparquet; Parquet -> CSV byte-for-byte round trips; rejections with FILE:LINE:COL
// and nothing left at the output path; usage errors naming the flag; interruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, ecl, eclSpawn, tempDir, duck } from './lib/run.mjs';
import { duckRows, duckMeta, hypRead, normDuck, normHyp, decimalNumber, dayString, sqlStr } from './lib/parquet.mjs';

const dir = tempDir('ecl-convert-');
const SAMPLE_CSV = join(ROOT, 'samples', 'orders.csv');
const SAMPLE_CONTRACT = join(ROOT, 'samples', 'orders.contract.yaml');

// ---------------------------------------------------------------- data with known values

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// micros since epoch (BigInt) -> {date, hh, mm, ss, frac} in UTC shifted by offsetMin minutes
function civil(micros, offsetMin = 0) {
  const m = micros + BigInt(offsetMin) * 60000000n;
  const day = 86400000000n;
  let days = m / day, rem = m % day;
  if (rem < 0n) { rem += day; days -= 1n; }
  const secs = Number(rem / 1000000n), frac = Number(rem % 1000000n);
  return { date: dayString(Number(days)), hh: Math.floor(secs / 3600), mm: Math.floor(secs / 60) % 60, ss: secs % 60, frac };
}

function tsText(micros, style, offsetMin) {
  const c = civil(micros, offsetMin);
  const sep = style === 'space' ? ' ' : 'T';
  let s = `${c.date}${sep}${pad(c.hh)}:${pad(c.mm)}:${pad(c.ss)}`;
  if (c.frac) s += '.' + pad(c.frac, 6);
  if (style === 'z') s += 'Z';
  if (style === 'offset') {
    const a = Math.abs(offsetMin);
    s += `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }
  return s;
}

function decText(unscaled, scale) {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const s = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (neg ? '-' : '') + s;
}

const TYPES = ['string', 'int32', 'int64', 'double', 'boolean', 'date', 'timestamp', 'decimal(9,2)', 'decimal(18,4)'];
const STRINGS = ['plain', '', 'comma, inside', 'quote "q" here', 'multi\nline\r\nvalue', 'ünïcødé ✓', '🚚 emoji',
  ' lead and trail ', 'NULLISH', 'x'.repeat(3000)];

// One value of a type: {text (CSV field, unquoted form), exp (JSON form as lib/parquet.mjs)}
function genValue(type, r, i) {
  const edge = i < 4;
  switch (type) {
    case 'string': {
      const s = STRINGS[(i + Math.floor(r() * 3)) % STRINGS.length];
      return { text: s, exp: s };
    }
    case 'int32': {
      const v = edge ? [-2147483648, 2147483647, 0, -1][i] : Math.floor(r() * 4294967296) - 2147483648;
      return { text: String(v), exp: v };
    }
    case 'int64': {
      const v = edge ? [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n][i]
        : BigInt(Math.floor(r() * 2 ** 52)) * BigInt(Math.floor(r() * 2048)) * (r() < 0.5 ? -1n : 1n);
      return { text: v.toString(), exp: v.toString() };
    }
    case 'double': {
      const v = edge ? [1.7976931348623157e308, 5e-324, -2.5, 0.1][i]
        : r() < 0.1 ? [Infinity, -Infinity][i % 2] : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
      return { text: String(v), exp: v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v };
    }
    case 'boolean': {
      const forms = [['True', true], ['False', false], ['true', true], ['false', false], ['1', true], ['0', false]];
      const [text, exp] = forms[Math.floor(r() * forms.length)];
      return { text, exp };
    }
    case 'date': {
      const days = edge ? [-719162, 2932896, -1, 0][i] : Math.floor(r() * 60000) - 25000;
      return { text: dayString(days), exp: dayString(days) };
    }
    case 'timestamp': {
      const micros = edge ? [-62135596800000000n, 253402300799999999n, -1n, 0n][i]
        : BigInt(Math.floor((r() - 0.4) * 4e15)) - (r() < 0.3 ? 0n : BigInt(Math.floor(r() * 1e6)));
      const style = ['t', 'space', 'z', 'offset'][Math.floor(r() * 4)];
      const off = style === 'offset' && !edge ? [330, -300, 60, -600, 0][Math.floor(r() * 5)] : 0;
      return { text: tsText(micros, style, off), exp: micros.toString() };
    }
    case 'decimal(9,2)': {
      const u = edge ? [-999999999n, 999999999n, 0n, -5n][i] : BigInt(Math.floor((r() - 0.5) * 2e9));
      return { text: decText(u, 2), exp: u.toString() };
    }
    case 'decimal(18,4)': {
      const u = edge ? [-(10n ** 18n - 1n), 10n ** 18n - 1n, 0n, -1n][i]
        : BigInt(Math.floor((r() - 0.5) * 2 ** 53)) * BigInt(Math.floor(r() * 100));
      return { text: decText(u, 4), exp: u.toString() };
    }
    default: throw new Error(type);
  }
}

function csvField(s, nullToken = '') {
  if (s === null) return nullToken;
  if (s === '' || /[,"\r\n]/.test(s) || s === nullToken) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

const colName = (t, nullable) => `${t.replace(/[(),]/g, '_')}${nullable ? 'null' : 'req'}`;

function matrixData(rows, seed) {
  const r = prng(seed);
  const schema = [];
  for (const t of TYPES) for (const nullable of [true, false]) schema.push({ t, nullable, name: colName(t, nullable) });
  const columns = schema.map(() => []);
  const lines = [schema.map((c) => c.name).join(',')];
  for (let i = 0; i < rows; i++) {
    const fields = schema.map((c, ci) => {
      // every nullable column has nulls, one is all-null in the last rows
      const isNull = c.nullable && (i % 5 === ci % 5 || (c.t === 'double' && i >= rows - 3));
      if (isNull) { columns[ci].push(null); return ''; }
      const v = genValue(c.t, r, i);
      columns[ci].push(v.exp);
      return csvField(v.text);
    });
    lines.push(fields.join(','));
  }
  const contract = ['name: matrix', 'csv: {delimiter: ",", header: true, null: ""}', 'columns:',
    ...schema.map((c) => `  - {name: ${c.name}, type: "${c.t}", nullable: ${c.nullable}}`)].join('\n') + '\n';
  return { schema, columns, csv: lines.join('\r\n') + '\r\n', contract };
}

const logicalType = (t) => (t.startsWith('decimal') ? 'decimal' : t);
const scaleOf = (t) => (t.startsWith('decimal') ? Number(t.match(/,(\d+)\)/)[1]) : 0);

// ---------------------------------------------------------------- CSV -> Parquet matrix

const M = matrixData(1500, 7);
const mcsv = join(dir, 'matrix.csv');
const mcontract = join(dir, 'matrix.contract.yaml');
writeFileSync(mcsv, M.csv);
writeFileSync(mcontract, M.contract);

for (const codec of ['snappy', 'zstd', 'gzip', 'none']) {
  test(`csv -> parquet (${codec}): every type and nullability reads back in DuckDB and hyparquet`, async () => {
    const out = join(dir, `matrix-${codec}.parquet`);
    const r = ecl(['convert', '--schema', mcontract, '--input', mcsv, '--output', out, '--compression', codec,
      '--page-kb', '16', ...(codec === 'zstd' ? ['--compression-level', '9'] : [])]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /converted 1500 rows/);

    const rows = await duckRows(out);
    assert.equal(rows.length, 1500);
    const desc = await duck(`describe select * from read_parquet(${sqlStr(out)})`);
    M.schema.forEach((c, ci) => {
      assert.equal(desc[ci].column_name, c.name);
      const got = rows.map((row) => normDuck(logicalType(c.t), row[c.name]));
      assert.deepEqual(got, M.columns[ci], `duckdb ${c.name}`);
    });
    const meta = await duckMeta(out);
    if (codec === 'snappy') assert.ok(meta.filter((m) => m.compression === 'SNAPPY').length > meta.length / 2);
    M.schema.forEach((c, ci) => {
      const nulls = meta.filter((m) => Number(m.column_id) === ci).reduce((a, m) => a + Number(m.stats_null_count), 0);
      assert.equal(nulls, M.columns[ci].filter((v) => v === null).length, `null count ${c.name}`);
      // snappy leaves chunks it barely shrinks uncompressed (random values here); other codecs apply everywhere
      for (const m of meta.filter((x) => Number(x.column_id) === ci))
        assert.ok(m.compression === (codec === 'none' ? 'UNCOMPRESSED' : codec.toUpperCase()) ||
          (codec === 'snappy' && m.compression === 'UNCOMPRESSED'), `${c.name}: ${m.compression}`);
    });

    const hyp = await hypRead(out);
    const sch = hyp.metadata.schema;
    M.schema.forEach((c, ci) => {
      assert.equal(sch[ci + 1].repetition_type, c.nullable ? 'OPTIONAL' : 'REQUIRED', `repetition ${c.name}`);
      const lt = logicalType(c.t);
      const got = hyp.rows.map((row) => normHyp({ type: lt }, row[c.name]));
      const want = M.columns[ci].map((v) => (v === null ? null : lt === 'decimal' ? decimalNumber(v, scaleOf(c.t)) : v));
      assert.deepEqual(got, want, `hyparquet ${c.name}`);
    });
  });
}

test('parquet -> csv -> parquet -> csv reaches a fixed point byte for byte', () => {
  const pq = join(dir, 'matrix-snappy-rt.parquet');
  assert.equal(ecl(['convert', '-s', mcontract, '-i', mcsv, '-o', pq]).code, 0);
  const back1 = join(dir, 'back1.csv'), pq2 = join(dir, 'back1.parquet'), back2 = join(dir, 'back2.csv');
  let r = ecl(['convert', '-s', mcontract, '-i', pq, '-o', back1]);
  assert.equal(r.code, 0, r.stderr);
  r = ecl(['convert', '-s', mcontract, '-i', back1, '-o', pq2]);
  assert.equal(r.code, 0, r.stderr);
  r = ecl(['convert', '-s', mcontract, '-i', pq2, '-o', back2]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(back1).equals(readFileSync(back2)));
  // same rows and bytes as the Parquet written from the original
  assert.ok(readFileSync(pq).equals(readFileSync(pq2)), 'the Parquet files are identical');
});

test('the bundled sample round-trips byte for byte (CSV -> Parquet -> CSV)', async () => {
  const pq = join(dir, 'orders.parquet'), back = join(dir, 'orders-back.csv');
  let r = ecl(['convert', '--schema', SAMPLE_CONTRACT, '--input', SAMPLE_CSV, '--output', pq]);
  assert.equal(r.code, 0, r.stderr);
  r = ecl(['convert', '--input', pq, '--output', back, '--schema', SAMPLE_CONTRACT]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(back).equals(readFileSync(SAMPLE_CSV)), 'identical bytes');
  const [{ n }] = await duck(`select count(*)::int as n from read_parquet(${sqlStr(pq)})`);
  assert.equal(n, 200);
  const kv = await duck(`select decode(key) as k, decode(value) as v from parquet_kv_metadata(${sqlStr(pq)})`);
  assert.ok(kv.some((x) => x.k === 'ecomlake.contract' && x.v === 'orders'));
  // the same file without a contract: the schema comes from the Parquet file
  const back2 = join(dir, 'orders-back2.csv');
  r = ecl(['convert', '--input', pq, '--output', back2]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(back2).equals(readFileSync(SAMPLE_CSV)));
});

test('another dialect round-trips: ";" delimiter, LF, NULL token, lower-case booleans, header by name', () => {
  const contract = join(dir, 'semi.yaml');
  writeFileSync(contract, 'name: semi\ncsv:\n  delimiter: ";"\n  null: NULL\n  line_ending: lf\n  booleans: lower\n'
    + '  timestamps: space\ncolumns:\n  - {name: id, type: int64, nullable: false}\n  - {name: ok, type: boolean}\n'
    + '  - {name: at, type: timestamp}\n  - {name: s, type: string}\n');
  // header in another order than the contract
  const input = 's;at;id;ok\n"NULL";2024-01-02 03:04:05;1;true\n;NULL;2;NULL\n"a;b";2024-01-02 03:04:05.5;3;false\n';
  const csv = join(dir, 'semi.csv');
  writeFileSync(csv, input);
  const pq = join(dir, 'semi.parquet'), back = join(dir, 'semi-back.csv');
  let r = ecl(['convert', '-s', contract, '-i', csv, '-o', pq]);
  assert.equal(r.code, 0, r.stderr);
  r = ecl(['convert', '-s', contract, '-i', pq, '-o', back]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(back, 'utf8'),
    'id;ok;at;s\n1;true;2024-01-02 03:04:05;"NULL"\n2;NULL;NULL;\n3;false;2024-01-02 03:04:05.500000;"a;b"\n');
});

// ---------------------------------------------------------------- rejections

const HEADER = 'order_id,qty,big,amount,ratio,paid,order_date,created_at,note';
const GOOD = 'A-1,3,42,12.50,0.5,True,2024-02-29,2024-02-29T10:00:00,ok';

function listDir(d) {
  return readdirSync(d).sort();
}

const REJECTIONS = [
  ['a letter in an int64', `${GOOD}\nA-2,3,4x2,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,\n`, /:3:7: column 'big': expected an int64, got '4x2'/],
  ['2024-02-30 in a date', `${GOOD}\nA-2,3,4,1.00,0.5,True,2024-02-30,2024-01-01T00:00:00,\n`, /:3:23: column 'order_date': '2024-02-30' is not a valid date/],
  ['a null in a required column', `${GOOD}\n,3,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,\n`, /:3:1: column 'order_id': null \(an empty field\) in a column that is not nullable/],
  ['too few fields', `${GOOD}\nA-2,3,4\n`, /:3:8: expected 9 fields, got 3/],
  ['too many fields', `${GOOD}\n${GOOD},extra\n`, /:3:59: expected 9 fields, got 10/],
  ['int32 overflow', `A-2,2147483648,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,\n`, /:2:5: column 'qty': '2147483648' is out of range for int32/],
  ['a decimal with too many fraction digits', `A-2,1,4,1.005,0.5,True,2024-01-01,2024-01-01T00:00:00,\n`, /:2:9: column 'amount': '1.005' does not fit decimal\(12,2\)/],
  ['a bad boolean', `A-2,1,4,1.00,0.5,yes,2024-01-01,2024-01-01T00:00:00,\n`, /:2:18: column 'paid': expected a boolean/],
  ['a bad timestamp', `A-2,1,4,1.00,0.5,True,2024-01-01,2024-01-01T24:00:00,\n`, /:2:34: column 'created_at': expected a timestamp/],
  ['a stray quote', `A-2,1,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,say "hi"\n`, /:2:58: stray quote in an unquoted field/],
  ['an unterminated quote', `${GOOD}\nA-2,1,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,"open\nmore\n`, /:3:54: unterminated quoted field/],
  ['invalid UTF-8', `A-2,1,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,caf\xe9\n`, /:2:57: invalid UTF-8/],
  ['a multi-line field before the error', `A-1,1,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,"a\nb\nc"\nA-2,z,4,1.00,0.5,True,2024-01-01,2024-01-01T00:00:00,\n`, /:5:5: column 'qty': expected an int32, got 'z'/],
];

for (const [what, body, re] of REJECTIONS) {
  test(`rejects ${what} with FILE:LINE:COL and leaves nothing at the output path`, () => {
    const d = join(dir, `rej-${what.replace(/\W+/g, '-')}`);
    mkdirSync(d);
    const input = join(d, 'in.csv');
    writeFileSync(input, Buffer.from(`${HEADER}\n${body}`, what === 'invalid UTF-8' ? 'latin1' : 'utf8'));
    for (const ext of ['parquet', 'csv']) {
      const out = join(d, `out.${ext}`);
      const r = ecl(['convert', '--schema', SAMPLE_CONTRACT, '--input', input, '--output', out, '--to', ext === 'csv' ? 'csv' : 'parquet']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`error: ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${re.source}`));
      assert.match(r.stderr, /nothing was written to/);
      assert.deepEqual(listDir(d), ['in.csv'], 'no output and no temp file');
    }
  });
}

test('--max-errors reports several rejected rows, still writing nothing', () => {
  const d = join(dir, 'maxerr');
  mkdirSync(d);
  const input = join(d, 'in.csv');
  writeFileSync(input, `${HEADER}\n${GOOD}\nB,x,1,1,1,True,2024-01-01,,\nC,1,y,1,1,True,2024-01-01,,\n${GOOD}\nD,1,1,1,1,True,2023-02-29,,\n`);
  const out = join(d, 'out.parquet');
  let r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', input, '-o', out, '--max-errors', '10']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in\.csv:3:3: column 'qty'/);
  assert.match(r.stderr, /in\.csv:4:5: column 'big'/);
  assert.match(r.stderr, /in\.csv:6:16: column 'order_date': '2023-02-29' is not a valid date: February 2023 has 28 days/);
  assert.match(r.stderr, /3 rows rejected; nothing was written/);
  assert.deepEqual(listDir(d), ['in.csv']);
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', input, '-o', out, '--max-errors', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /stopped after 2 rejected rows \(--max-errors 2\)/);
  assert.doesNotMatch(r.stderr, /:6:16:/);
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', input, '-o', out]);
  assert.match(r.stderr, /stopped at the first rejected row/);
  assert.equal(r.stderr.match(/column '/g).length, 1);
  assert.deepEqual(listDir(d), ['in.csv']);
});

test('header problems and contract errors are reported with their position', () => {
  const d = join(dir, 'hdr');
  mkdirSync(d);
  const input = join(d, 'in.csv');
  writeFileSync(input, 'order_id,qty,big,amount,ratio,paid,order_date,created_at,notes\n');
  let r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', input, '-o', join(d, 'o.parquet')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in\.csv:1:58: header column 'notes' is not in the contract 'orders'/);
  writeFileSync(input, 'order_id,qty,big,amount,ratio,paid,order_date,created_at\n');
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', input, '-o', join(d, 'o.parquet')]);
  assert.match(r.stderr, /the header has no column 'note'/);
  const bad = join(d, 'bad.yaml');
  writeFileSync(bad, 'name: x\ncolumns:\n  - {name: a, type: int33}\n');
  r = ecl(['convert', '-s', bad, '-i', input, '-o', join(d, 'o.parquet')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:3:21: key 'columns\[0\]\.type': unknown type 'int33'/);
  writeFileSync(bad, 'name: x\ncolumns:\n  - {name: a, type: int32, nulable: no}\n');
  writeFileSync(input, 'a\n1\n');
  r = ecl(['convert', '-s', bad, '-i', input, '-o', join(d, 'o.parquet')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /bad\.yaml:3:28: unknown key 'columns\[0\]\.nulable' \(ignored; did you mean 'nullable'\?\)/);
  assert.deepEqual(listDir(d).filter((f) => f.startsWith('.')), []);
});

test('a Parquet file that does not match the contract is refused', () => {
  const pq = join(dir, 'orders-mismatch.parquet');
  assert.equal(ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV, '-o', pq]).code, 0);
  const other = join(dir, 'other.yaml');
  writeFileSync(other, 'name: other\ncolumns:\n  - {name: order_id, type: int64}\n');
  const r = ecl(['convert', '-s', other, '-i', pq, '-o', join(dir, 'never.csv')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /has 9 columns, the contract 'other' has 1/);
  assert.equal(existsSync(join(dir, 'never.csv')), false);
});

test('files written by DuckDB convert to CSV with equal values', async () => {
  const pq = join(dir, 'duck.parquet');
  await duck(`copy (select i::integer as i, (i * 1000000007)::bigint as b, i / 4 as d, 'v' || i as s,
    date '1960-01-01' + i::integer as dt, i % 3 = 0 as ok, (i * 0.01)::decimal(10,2) as m
    from range(1000) t(i)) to ${sqlStr(pq)} (format parquet, compression zstd)`);
  const out = join(dir, 'duck.csv');
  const r = ecl(['convert', '-i', pq, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').split('\r\n');
  assert.equal(lines[0], 'i,b,d,s,dt,ok,m');
  assert.equal(lines[1], '0,0,0.0,v0,1960-01-01,True,0.00');
  assert.equal(lines[7], '6,6000000042,1.5,v6,1960-01-07,True,0.06');
  assert.equal(lines.length, 1002);
});

// ---------------------------------------------------------------- usage, dry run, json, signals

test('usage errors exit 2 and name the flag', () => {
  const base = ['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV, '-o', join(dir, 'u.parquet')];
  const cases = [
    [['--compression', 'lz4'], /--compression: 'lz4' is not one of snappy, zstd, gzip, none/],
    [['--row-group-mb', '0'], /--row-group-mb: 0 is out of range/],
    [['--page-kb', 'big'], /--page-kb: 'big' is not a whole number/],
    [['--max-errors', '-1'], /--max-errors: -1 is out of range/],
    [['--compression', 'zstd', '--compression-level', '30'], /--compression-level: 30 is out of range/],
    [['--compression', 'gzip', '--compression-level', '12'], /--compression-level: 12 is out of range for gzip \(1\.\.9\)/],
    [['--compression-level', '3'], /--compression-level applies to zstd and gzip, not snappy/],
    [['--from', 'xml'], /--from: 'xml' is not one of csv, parquet/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ];
  for (const [extra, re] of cases) {
    const r = ecl([...base, ...extra]);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  let r = ecl(['convert', '-i', SAMPLE_CSV, '-o', join(dir, 'u.parquet')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--schema is required/);
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV, '-o', join(dir, 'u.data')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--output: cannot tell the format/);
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--output is required/);
  r = ecl(['convert', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--max-errors N/);
  assert.match(r.stdout, /Examples:/);
  assert.equal(existsSync(join(dir, 'u.parquet')), false);
});

test('--dry-run checks everything and writes nothing; --json prints a summary object', () => {
  const out = join(dir, 'dry.parquet');
  let r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV, '-o', out, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /checked 200 rows/);
  assert.equal(existsSync(out), false);
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV, '-o', out, '--json', '--compression', 'zstd']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.rows, 200);
  assert.equal(j.compression, 'zstd');
  assert.equal(j.output_bytes, statSync(out).size);
  assert.equal((statSync(out).mode & 0o777).toString(8), (0o666 & ~process.umask()).toString(8));
  r = ecl(['convert', '-s', SAMPLE_CONTRACT, '-i', SAMPLE_CSV, '-o', join(dir, 'q.parquet'), '--quiet']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
});

test('Ctrl-C stops the conversion with exit 130 and leaves nothing behind', async () => {
  const d = join(dir, 'sigint');
  mkdirSync(d);
  const fifo = join(d, 'in.csv');
  execFileSync('mkfifo', [fifo]);
  const out = join(d, 'out.parquet');
  const child = eclSpawn(['convert', '-s', SAMPLE_CONTRACT, '-i', fifo, '-o', out]);
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const done = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  const { open } = await import('node:fs/promises');
  const fh = await open(fifo, 'w');
  await fh.write(`${HEADER}\n`);
  for (let i = 0; i < 200; i++) await fh.write(`${GOOD}\n`);
  await new Promise((res) => setTimeout(res, 300));
  // the temp file exists while the conversion runs
  assert.equal(listDir(d).filter((f) => f.startsWith('.out.parquet.tmp-')).length, 1);
  child.kill('SIGINT');
  await new Promise((res) => setTimeout(res, 200));
  await fh.close();
  const { code } = await done;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted; nothing was written/);
  assert.deepEqual(listDir(d), ['in.csv']);
});
