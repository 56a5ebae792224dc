// ecomlake window --format parquet: typed Parquet windows whose values equal the CSV windows' values
// row by row in DuckDB, that a second reader (hyparquet) reads the same, that regenerate
// byte-identically, and that carry the same manifest + _SUCCESS protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ecl, tempDir, duck } from './lib/run.mjs';
import { hypRead, sqlStr, dayString } from './lib/parquet.mjs';

const DATE = '2026-02-01';
const WINDOWS = [['12:00', '14:00', 'window_1214'], ['22:00', '00:00', 'window_2224']];

function generate(root, format, { units = 7, seed = 3, date = DATE } = {}) {
  for (const [s, e] of WINDOWS) {
    const r = ecl(['window', '--date', date, '--window-start', s, '--window-end', e, '--units', String(units),
      '--seed', String(seed), '--output-dir', root, '--format', format, '--no-fsync', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).format, format);
  }
}

function windowDirs(root, tag, date = DATE) {
  const [y, m, d] = date.split('-');
  const base = join(root, 'csv_sales', y, m, d);
  return readdirSync(base).sort().map((u) => join(base, u, tag)).filter((p) => existsSync(p));
}

// Column lists with the CSV types the Parquet files must have; every value comes back as text in
// one canonical form (timestamps as epoch microseconds) so both sources compare exactly.
const TABLES = {
  pedido: {
    Id_Unidade: 'INTEGER', Id_Pedido: 'VARCHAR', Tipo_Pedido: 'VARCHAR', Data_Pedido: 'DATE',
    Vlr_Pedido: 'DECIMAL(10,2)', Endereco_Entrega: 'VARCHAR', Taxa_Entrega: 'DECIMAL(10,2)',
    Status: 'VARCHAR', Data_Hora_Pedido: 'TIMESTAMP WITH TIME ZONE',
  },
  item_pedido: {
    Id_Pedido: 'VARCHAR', Id_Item_Pedido: 'VARCHAR', Id_Produto: 'INTEGER', Qtd: 'INTEGER',
    Vlr_Item: 'DECIMAL(10,2)', Observacao: 'VARCHAR',
  },
  produto: { Id_Produto: 'INTEGER', Nome_Produto: 'VARCHAR' },
  unidade: { Id_Unidade: 'INTEGER', Nome_Unidade: 'VARCHAR', Id_Estado: 'INTEGER' },
  estado: { Id_Estado: 'INTEGER', Id_Pais: 'INTEGER', Nome_Estado: 'VARCHAR' },
  pais: { Id_Pais: 'INTEGER', Nome_Pais: 'VARCHAR' },
};

const canon = (cols) => Object.entries(cols).map(([c, t]) =>
  t.startsWith('TIMESTAMP') ? `epoch_us("${c}")::VARCHAR AS "${c}"` : `"${c}"::VARCHAR AS "${c}"`).join(', ');

async function csvRows(path, table) {
  const cols = TABLES[table];
  const spec = Object.entries(cols).map(([c, t]) => `'${c}': '${t}'`).join(', ');
  return duck(`select ${canon(cols)} from read_csv(${sqlStr(path)}, delim=';', header=true, columns={${spec}})`);
}

async function parquetRows(path, table) {
  return duck(`select ${canon(TABLES[table])} from read_parquet(${sqlStr(path)})`);
}

test('Parquet windows hold the CSV windows values row by row, with typed columns', async () => {
  const csv = tempDir(), pq = tempDir();
  generate(csv, 'csv');
  generate(pq, 'parquet');
  let rows = 0, nullAddr = 0, nullObs = 0;
  for (const [, , tag] of WINDOWS) {
    const dirs = windowDirs(pq, tag);
    assert.equal(dirs.length, 7);
    for (const dir of dirs) {
      assert.deepEqual(readdirSync(dir).sort(), ['_MANIFEST.json', '_SUCCESS', 'item_pedido.parquet', 'pedido.parquet']);
      const rel = dir.slice(pq.length);
      for (const table of ['pedido', 'item_pedido']) {
        const a = await csvRows(join(csv, rel, `${table}.csv`), table);
        const b = await parquetRows(join(pq, rel, `${table}.parquet`), table);
        assert.ok(a.length > 0);
        assert.deepEqual(b, a, `${rel}/${table}`);
        rows += b.length;
        if (table === 'pedido') nullAddr += b.filter((r) => r.Endereco_Entrega === null).length;
        else nullObs += b.filter((r) => r.Observacao === null).length;
      }
      // the manifest describes the Parquet files exactly
      const m = JSON.parse(readFileSync(join(dir, '_MANIFEST.json'), 'utf8'));
      assert.equal(m.format, 'parquet');
      assert.equal(m.window, tag);
      assert.deepEqual(m.files.map((f) => f.path), ['pedido.parquet', 'item_pedido.parquet']);
      for (const f of m.files) {
        const data = readFileSync(join(dir, f.path));
        assert.equal(f.bytes, data.length);
        assert.equal(f.sha256, createHash('sha256').update(data).digest('hex'));
        const [{ n }] = await duck(`select count(*)::INTEGER as n from read_parquet(${sqlStr(join(dir, f.path))})`);
        assert.equal(f.rows, n);
      }
    }
  }
  assert.ok(rows > 100, `${rows} rows compared`);
  assert.ok(nullAddr > 0 && nullObs > 0, 'absent optional text is NULL (empty in CSV)');
  // reference data: Parquet when --format parquet, same rows as the CSV files
  assert.deepEqual(readdirSync(join(pq, 'reference_data')).sort(),
    ['_MANIFEST.json', '_SUCCESS', 'estado.parquet', 'pais.parquet', 'produto.parquet', 'unidade.parquet']);
  for (const table of ['produto', 'unidade', 'estado', 'pais']) {
    const a = await csvRows(join(csv, 'reference_data', `${table}.csv`), table);
    const b = await parquetRows(join(pq, 'reference_data', `${table}.parquet`), table);
    assert.deepEqual(b, a, `reference_data/${table}`);
  }
  // the physical types: integers, DECIMAL(10,2) money, DATE, UTC TIMESTAMP, original names
  const d = await duck(`describe select * from read_parquet(${sqlStr(join(windowDirs(pq, 'window_1214')[0], 'pedido.parquet'))})`);
  assert.deepEqual(d.map((r) => [r.column_name, r.column_type]), Object.entries(TABLES.pedido));
  const di = await duck(`describe select * from read_parquet(${sqlStr(join(windowDirs(pq, 'window_1214')[0], 'item_pedido.parquet'))})`);
  assert.deepEqual(di.map((r) => [r.column_name, r.column_type]), Object.entries(TABLES.item_pedido));
  // the whole lake reads as one table with a glob (what a pipeline does)
  const [{ n }] = await duck(`select count(*)::INTEGER as n from read_parquet(${sqlStr(join(pq, 'csv_sales/*/*/*/*/*/pedido.parquet'))})`);
  const [{ m }] = await duck(`select count(*)::INTEGER as m from read_csv(${sqlStr(join(csv, 'csv_sales/*/*/*/*/*/pedido.csv'))}, delim=';', header=true)`);
  assert.equal(n, m);
});

test('hyparquet reads the Parquet windows with the same values as DuckDB', async () => {
  const pq = tempDir();
  generate(pq, 'parquet', { units: 3, seed: 11 });
  let checked = 0;
  for (const dir of windowDirs(pq, 'window_1214')) {
    for (const table of ['pedido', 'item_pedido']) {
      const path = join(dir, `${table}.parquet`);
      const { metadata, rows } = await hypRead(path);
      const ts = table === 'pedido' ? ', epoch_us(Data_Hora_Pedido) as __ts' : '';
      const duckRows = await duck(`select *${ts} from read_parquet(${sqlStr(path)})`);
      assert.equal(rows.length, duckRows.length);
      assert.equal(Number(metadata.num_rows), rows.length);
      const kv = Object.fromEntries((metadata.key_value_metadata || []).map((x) => [x.key, x.value]));
      assert.equal(kv['ecomlake.dataset'], 'restaurant');
      assert.equal(kv['ecomlake.table'], table);
      assert.equal(kv['ecomlake.seed'], '11');
      for (let i = 0; i < rows.length; i++) {
        const h = rows[i], k = duckRows[i];
        for (const col of Object.keys(TABLES[table])) {
          const t = TABLES[table][col], hv = h[col], dv = k[col];
          if (dv === null) { assert.equal(hv ?? null, null, `${col} null`); continue; }
          if (t === 'INTEGER') assert.equal(Number(hv), dv);
          else if (t === 'VARCHAR') assert.equal(hv, dv);
          else if (t === 'DATE') assert.equal(dayString(Number(hv)), DATE);
          else if (t.startsWith('DECIMAL')) assert.equal(Number(hv).toFixed(2), dv.toString());
          else assert.equal(String(hv), String(k.__ts), `${col} micros`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 10);
});

test('Parquet windows regenerate byte-identically; another seed differs', () => {
  const a = tempDir(), b = tempDir(), c = tempDir();
  generate(a, 'parquet', { units: 5, seed: 9 });
  generate(b, 'parquet', { units: 5, seed: 9 });
  generate(c, 'parquet', { units: 5, seed: 10 });
  generate(a, 'parquet', { units: 5, seed: 9 }); // over itself
  let same = 0, diff = 0;
  for (const [, , tag] of WINDOWS) {
    for (const dir of windowDirs(a, tag)) {
      const rel = dir.slice(a.length);
      assert.deepEqual(readdirSync(dir).sort(), readdirSync(join(b, rel)).sort());
      for (const f of ['pedido.parquet', 'item_pedido.parquet', '_MANIFEST.json']) {
        const x = readFileSync(join(a, rel, f)), y = readFileSync(join(b, rel, f));
        assert.ok(x.equals(y), `${rel}/${f} differs between identical runs`);
        same++;
        if (f === 'pedido.parquet' && !x.equals(readFileSync(join(c, rel, f)))) diff++;
      }
    }
  }
  for (const f of ['produto.parquet', 'unidade.parquet', 'estado.parquet', 'pais.parquet', '_MANIFEST.json'])
    assert.ok(readFileSync(join(a, 'reference_data', f)).equals(readFileSync(join(b, 'reference_data', f))), f);
  assert.equal(same, 30);
  assert.equal(diff, 10);
  // switching a window's format replaces the directory: no CSV left beside the Parquet files
  const mixed = tempDir();
  generate(mixed, 'csv', { units: 2 });
  generate(mixed, 'parquet', { units: 2 });
  for (const dir of windowDirs(mixed, 'window_1214'))
    assert.deepEqual(readdirSync(dir).sort(), ['_MANIFEST.json', '_SUCCESS', 'item_pedido.parquet', 'pedido.parquet']);
  assert.ok(!existsSync(join(mixed, 'reference_data', 'produto.csv')));
  // bad format names are usage errors
  const r = ecl(['window', '--window-start', '12:00', '--window-end', '14:00', '--format', 'orc', '--output-dir', mixed]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--format: 'orc' is not one of csv, parquet/);
});
