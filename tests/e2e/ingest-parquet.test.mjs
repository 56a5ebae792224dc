// ecomlake ingest of a lake written with `window --format parquet`: the same warehouse as ingesting
// the CSV windows of the same parameters (SQLite and PostgreSQL), idempotent re-ingest, quarantine
// of a truncated or mistyped file, and row rejection of a bad value.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ecl, tempDir, duck } from './lib/run.mjs';
import { startPg, pgSkipReason } from './lib/pgserver.mjs';
import { sqliteWarehouse, pgWarehouse, scalar } from './lib/warehouse.mjs';

const skip = pgSkipReason();
const pg = skip ? null : await startPg();
after(() => pg && pg.stop());
let dbSeq = 0;

function gen(root, format, date, start, units = 4, seed = 3) {
  const h = Number(start);
  const end = h === 22 ? '00:00' : `${String(h + 2).padStart(2, '0')}:00`;
  const r = ecl(['window', '--date', date, '--window-start', `${start}:00`, '--window-end', end,
    '--units', String(units), '--seed', String(seed), '--output-dir', root, '--format', format,
    '--no-fsync', '-q']);
  assert.equal(r.code, 0, r.stderr);
}

function lakes(dir, windows, units) {
  const out = {};
  for (const format of ['csv', 'parquet']) {
    out[format] = join(dir, format);
    for (const [date, start] of windows) gen(out[format], format, date, start, units);
  }
  return out;
}

function ingest(source, wh, extra = []) {
  const r = ecl(['ingest', '--source', source, '--warehouse', wh.url, '--json', '-q', ...extra]);
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
}

// Every column but the lineage ones, in a stable order, as text.
const TABLES = {
  orders: 'id_unidade, id_pedido, tipo_pedido, data_pedido, vlr_pedido, endereco_entrega, taxa_entrega, status, data_hora_pedido',
  order_items: 'id_pedido, id_item_pedido, id_produto, qtd, vlr_item, observacao',
  products: 'id_produto, nome_produto',
  units: 'id_unidade, nome_unidade, id_estado',
  states: 'id_estado, id_pais, nome_estado',
  countries: 'id_pais, nome_pais',
};

function contents(wh, table) {
  return wh.query(`select ${TABLES[table]} from ${table} order by ${TABLES[table]}`);
}

const WIN = 'csv_sales/2026/03/14/unit_002/window_1214';

test('parquet windows load the same warehouse as the CSV windows; re-ingest loads nothing', () => {
  if (skip) console.log(`# postgres part skipped: ${skip}`);
  const dir = tempDir();
  const lake = lakes(dir, [['2026-03-14', '10'], ['2026-03-14', '12'], ['2026-03-15', '22']], 4);
  const kinds = [(name) => sqliteWarehouse(dir, `${name}.db`)];
  if (pg) kinds.push((name) => pgWarehouse(pg, `ingest_pq_${process.pid}_${dbSeq++}_${name}`));
  for (const make of kinds) {
    const wh = { csv: make('csv'), parquet: make('parquet') };
    const res = {};
    for (const f of ['csv', 'parquet']) {
      res[f] = ingest(lake[f], wh[f]);
      assert.equal(res[f].code, 0, res[f].stderr);
      assert.equal(res[f].json.files_quarantined, 0);
      assert.equal(res[f].json.rows_rejected, 0);
    }
    const kind = wh.csv.kind;
    // 3 windows x 4 units x 2 files + 4 reference files
    assert.equal(res.parquet.json.files_loaded, 28, kind);
    assert.equal(res.parquet.json.rows_loaded, res.csv.json.rows_loaded, kind);
    assert.ok(scalar(wh.parquet, 'select count(*) from orders') > 0);
    for (const t of Object.keys(TABLES))
      assert.deepEqual(contents(wh.parquet, t), contents(wh.csv, t), `${kind} ${t}`);
    for (const q of ['select sum(vlr_pedido), sum(taxa_entrega), count(endereco_entrega) from orders',
      'select sum(qtd), sum(qtd * vlr_item), count(observacao) from order_items'])
      assert.deepEqual(wh.parquet.query(q), wh.csv.query(q), `${kind} ${q}`);
    // lineage names the Parquet files, and the ledger keys them
    assert.equal(scalar(wh.parquet, "select count(*) from orders where _source_file not like '%/pedido.parquet'"), 0);
    assert.equal(scalar(wh.parquet, "select count(*) from order_items where _source_file not like '%/item_pedido.parquet'"), 0);
    assert.equal(scalar(wh.parquet, "select count(*) from units where _source_file = 'reference_data/unidade.parquet'"), 4);
    assert.equal(scalar(wh.parquet, "select count(*) from ingest_ledger where source_file like '%.parquet' and status = 'loaded'"), 28);

    const again = ingest(lake.parquet, wh.parquet);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.files_loaded, 0);
    assert.equal(again.json.files_skipped, 28);
    assert.equal(again.json.bytes_read, 0, 'unchanged files are skipped on their stat data, unread');
    const rehash = ingest(lake.parquet, wh.parquet, ['--rehash']);
    assert.equal(rehash.code, 0, rehash.stderr);
    assert.equal(rehash.json.files_loaded, 0);
    assert.equal(rehash.json.files_skipped, 28);
    assert.deepEqual(contents(wh.parquet, 'orders'), contents(wh.csv, 'orders'));
  }
});

test('a truncated parquet file is quarantined with _error.json; the rest of the lake loads', () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  for (const s of ['10', '12']) gen(lake, 'parquet', '2026-03-14', s, 3);
  const file = join(lake, WIN, 'pedido.parquet');
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const wh = sqliteWarehouse(dir);
  const r = ingest(lake, wh);
  assert.equal(r.code, 0, r.stderr);
  const q = join(lake, 'quarantine/2026/03/14/unit_002/window_1214');
  assert.ok(existsSync(join(q, 'pedido.parquet')));
  assert.ok(!existsSync(file));
  const report = JSON.parse(readFileSync(join(q, 'pedido_error.json'), 'utf8'));
  assert.equal(report.source_file, `${WIN}/pedido.parquet`);
  assert.equal(report.problems[0].rule, 'malformed');
  assert.match(report.problems[0].message, /not a readable Parquet file/);
  // its items have no order in the window: rejected as orphans, so that file is quarantined too
  assert.ok(existsSync(join(q, 'item_pedido.parquet')));
  assert.ok(existsSync(join(q, 'item_pedido_error.json')));
  assert.equal(r.json.files_quarantined, 2);
  assert.equal(r.json.files_loaded, 2 * 3 * 2 - 2 + 4);
  assert.equal(scalar(wh, "select count(*) from ingest_rejects where rule = 'malformed' and source_file like '%pedido.parquet'"), 1);
  assert.equal(scalar(wh, "select count(*) from orders where _source_file like '%unit_002/window_1214%'"), 0);
  const again = ingest(lake, wh);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.json.files_loaded + again.json.files_quarantined, 0);
});

// Rewrites a Parquet file through DuckDB with a SELECT over it (columns as `t`).
async function rewrite(path, select) {
  const tmp = `${path}.new.parquet`;
  await duck(`COPY (${select.replace('{t}', `read_parquet('${path}')`)}) TO '${tmp}' (FORMAT parquet)`);
  writeFileSync(path, readFileSync(tmp));
  const { rmSync } = await import('node:fs');
  rmSync(tmp);
}

test('a bad value in a parquet file rejects its row as in CSV; a mistyped column quarantines the file', async () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  for (const s of ['10', '12']) gen(lake, 'parquet', '2026-03-14', s, 3);
  // a negative quantity in one item of unit_002's 12-14 window
  const items = join(lake, WIN, 'item_pedido.parquet');
  const [first] = await duck(`select Id_Item_Pedido as id, Id_Pedido as o from read_parquet('${items}') order by 1 limit 1`);
  await rewrite(items, `select Id_Pedido, Id_Item_Pedido, Id_Produto,
      case when Id_Item_Pedido = '${first.id}' then -2 else Qtd end as Qtd, Vlr_Item, Observacao from {t}`);
  // unit_003's 10-12 window: Qtd as text
  const typed = join(lake, 'csv_sales/2026/03/14/unit_003/window_1012/item_pedido.parquet');
  await rewrite(typed, `select Id_Pedido, Id_Item_Pedido, Id_Produto, cast(Qtd as varchar) as Qtd, Vlr_Item, Observacao from {t}`);
  const wh = sqliteWarehouse(dir);
  const r = ingest(lake, wh);
  assert.equal(r.code, 0, r.stderr);
  const rej = wh.query(`select source_file, line, column_name, rule from ingest_rejects
    where source_file like '${WIN}/%' order by rule, source_file`);
  const qr = rej.filter((x) => x[3] === 'quantity_range');
  assert.equal(qr.length, 1);
  assert.deepEqual([qr[0][0], qr[0][2]], [`${WIN}/item_pedido.parquet`, 'Qtd']);
  assert.ok(Number(qr[0][1]) >= 2, 'line = row number + 1');
  // the order loads with all its items or not at all
  assert.ok(rej.some((x) => x[3] === 'item_rejected' && x[0] === `${WIN}/pedido.parquet`));
  assert.equal(scalar(wh, `select count(*) from orders where id_pedido = '${first.o}'`), 0);
  assert.equal(scalar(wh, `select count(*) from order_items where id_pedido = '${first.o}'`), 0);
  // the window's other orders (12-14 has 3 to 5 per unit) load: both files are partial
  assert.ok(scalar(wh, `select count(*) from orders where _source_file = '${WIN}/pedido.parquet'`) >= 2);
  assert.deepEqual(wh.query(`select status from ingest_ledger where source_file like '${WIN}/%' order by 1`),
    [['partial'], ['partial']]);

  const q = join(lake, 'quarantine/2026/03/14/unit_003/window_1012');
  const report = JSON.parse(readFileSync(join(q, 'item_pedido_error.json'), 'utf8'));
  assert.equal(report.problems[0].rule, 'type');
  assert.equal(report.problems[0].column, 'Qtd');
  assert.match(report.problems[0].message, /column 'Qtd' is string in the file, int32 expected/);
  assert.ok(!readdirSync(join(lake, 'csv_sales/2026/03/14/unit_003/window_1012')).includes('item_pedido.parquet'));
});
