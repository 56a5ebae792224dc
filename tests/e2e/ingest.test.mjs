// ecomlake ingest against SQLite and a real PostgreSQL server: counts, idempotent re-ingest, every
// validation rule, quarantine, malformed CSV, and two concurrent ingest processes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, readdirSync, statSync, utimesSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ecl, eclSpawn, tempDir } from './lib/run.mjs';
import { startPg, pgSkipReason } from './lib/pgserver.mjs';
import { sqliteWarehouse, pgWarehouse, scalar } from './lib/warehouse.mjs';

const skip = pgSkipReason();
const pg = skip ? null : await startPg();
after(() => pg && pg.stop());
let dbSeq = 0;

function backends(dir) {
  const list = [sqliteWarehouse(dir)];
  if (pg) list.push(pgWarehouse(pg, `ingest_${process.pid}_${dbSeq++}`));
  return list;
}

function gen(root, date, start, units = 3, seed = 1) {
  const h = Number(start);
  const end = h === 22 ? '00:00' : `${String(h + 2).padStart(2, '0')}:00`;
  const r = ecl(['window', '--date', date, '--window-start', `${start}:00`, '--window-end', end,
    '--units', String(units), '--seed', String(seed), '--output-dir', root, '--no-fsync', '-q']);
  assert.equal(r.code, 0, r.stderr);
}

function ingest(source, wh, extra = []) {
  const r = ecl(['ingest', '--source', source, '--warehouse', wh.url, '--json', '-q', ...extra]);
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
}

function csvRows(path) {
  return readFileSync(path, 'utf8').trim().split('\n').length - 1;
}

function countLake(root) {
  let orders = 0, items = 0, files = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'pedido.csv') { orders += csvRows(p); files++; }
      else if (e.name === 'item_pedido.csv') { items += csvRows(p); files++; }
    }
  };
  walk(join(root, 'csv_sales'));
  return { orders, items, files };
}

test('counts, idempotent re-ingest and replacement of a changed window (sqlite + postgres)', () => {
  if (skip) console.log(`# postgres part skipped: ${skip}`);
  const dir = tempDir();
  const lake = join(dir, 'lake');
  for (const s of ['10', '12', '18']) gen(lake, '2026-02-01', s, 6);
  const want = countLake(lake);
  const whs = backends(dir);
  for (const wh of whs) {
    const first = ingest(lake, wh);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json.files_loaded, want.files + 4);
    assert.equal(first.json.rows_rejected, 0);
    assert.equal(scalar(wh, 'select count(*) from orders'), want.orders, wh.kind);
    assert.equal(scalar(wh, 'select count(*) from order_items'), want.items);
    assert.equal(scalar(wh, 'select count(*) from units'), 6);
    assert.equal(scalar(wh, 'select count(*) from products'), 30);
    assert.equal(scalar(wh, 'select count(*) from states'), 3);
    assert.equal(scalar(wh, 'select count(*) from countries'), 1);
    assert.equal(scalar(wh, "select count(*) from orders where _source_file like 'csv_sales/2026/02/01/unit_00_/window_1%/pedido.csv' and _ingest_date is not null and _ingest_timestamp is not null"), want.orders);
    // money identity survives the load: vlr_pedido = sum(qtd * vlr_item) + taxa_entrega
    assert.equal(scalar(wh, `select count(*) from orders o where abs(o.vlr_pedido - o.taxa_entrega -
      (select sum(i.qtd * i.vlr_item) from order_items i where i.id_pedido = o.id_pedido)) > 0.001`), 0);
    const again = ingest(lake, wh);
    assert.equal(again.code, 0);
    assert.equal(again.json.files_skipped, want.files + 4);
    assert.equal(again.json.files_loaded, 0);
    assert.equal(scalar(wh, 'select count(*) from orders'), want.orders);
    assert.equal(scalar(wh, 'select count(*) from ingest_ledger'), want.files + 4);
  }
  // Regenerate one window with another seed: only its files reload, and their rows are replaced.
  gen(lake, '2026-02-01', '12', 6, 99);
  const want2 = countLake(lake);
  for (const wh of whs) {
    const r = ingest(lake, wh);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.files_loaded, 12);
    assert.equal(r.json.files_skipped, want.files + 4 - 12);
    assert.equal(scalar(wh, 'select count(*) from orders'), want2.orders);
    assert.equal(scalar(wh, 'select count(distinct id_pedido) from orders'), want2.orders);
    assert.equal(scalar(wh, 'select count(*) from order_items'), want2.items);
    assert.equal(scalar(wh, "select count(*) from ingest_ledger where status = 'loaded'"), want.files + 4);
  }
  // An in-place edit that keeps size and mtime is still noticed (ctime changes), and --rehash reads
  // every file yet loads nothing that did not change.
  const p = join(lake, 'csv_sales/2026/02/01/unit_003/window_1012/pedido.csv');
  const before = statSync(p);
  const text = readFileSync(p, 'utf8');
  const edited = text.replace(/(T10:\d\d:)(\d)(\d)/, (m, a, b, c) => `${a}${b}${c === '9' ? '8' : String(Number(c) + 1)}`);
  assert.notEqual(edited, text);
  writeFileSync(p, edited);
  utimesSync(p, before.atime, before.mtime);
  for (const wh of whs) {
    const r = ingest(lake, wh);
    assert.equal(r.json.files_loaded, 2, wh.kind); // the window's two files reload together
    const re = ingest(lake, wh, ['--rehash']);
    assert.equal(re.json.files_loaded, 0);
    assert.equal(re.json.bytes_read > 0, true);
    assert.equal(scalar(wh, 'select count(*) from orders'), want2.orders);
  }
});

const PEDIDO_HDR = 'Id_Unidade;Id_Pedido;Tipo_Pedido;Data_Pedido;Vlr_Pedido;Endereco_Entrega;Taxa_Entrega;Status;Data_Hora_Pedido';
const T = '2026-02-01T12:30:00-03:00';
const PEDIDO = [
  PEDIDO_HDR,
  `2;A;Loja Fisica;2026-02-01;20.00;;0.00;Finalizado;${T}`, // 2 valid
  `2;B;Loja Online;2026-02-01;35.00;Rua X, 1, Centro, 90000-000 Porto Alegre / RS;5.00;Pendente;2026-02-01T13:59:59-03:00`, // 3 valid
  `2;C;Loja Fisica;2026-02-01;10.00;;0.00;Entregue;${T}`, // 4 status_domain
  `2;D;Delivery;2026-02-01;10.00;;0.00;Finalizado;${T}`, // 5 order_type_domain
  `2;E;Loja Fisica;2026-02-01;-5.00;;0.00;Finalizado;${T}`, // 6 negative_value
  `2;F;Loja Fisica;2026-02-01;abc;;0.00;Finalizado;${T}`, // 7 type
  `2;;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;${T}`, // 8 required
  `2;H;Loja Fisica;01/02/2026;10.00;;0.00;Finalizado;${T}`, // 9 type (date)
  `2;I;Loja Fisica;2026-02-02;10.00;;0.00;Finalizado;${T}`, // 10 date_path_mismatch
  `3;J;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;${T}`, // 11 unit_path_mismatch
  `99;K;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;${T}`, // 12 unknown_unit (+ unit_path_mismatch)
  `2;L;Loja Fisica;2026-02-01;23.00;;3.00;Finalizado;${T}`, // 13 fee_rule
  `2;M;Loja Fisica;2026-02-01;99.00;;0.00;Finalizado;${T}`, // 14 order_value_mismatch
  `2;N;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;2026-02-01T15:00:00-03:00`, // 15 timestamp_outside_window
  `2;A;Loja Fisica;2026-02-01;20.00;;0.00;Finalizado;${T}`, // 16 duplicate_id
  `2;O;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;${T}`, // 17 item_rejected (unknown product)
  `2;R;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;${T}`, // 18 item_rejected (quantity)
  '2;P;Loja Fis', // 19 field_count (truncated line)
];
const ITEMS = [
  'Id_Pedido;Id_Item_Pedido;Id_Produto;Qtd;Vlr_Item;Observacao',
  'A;A1;1;2;10.00;', // 2 valid
  'B;B1;2;3;10.00;Sem sal', // 3 valid
  'C;C1;1;1;10.00;', // 4 order_rejected
  'L;L1;1;2;10.00;', // 5 order_rejected
  'M;M1;1;2;10.00;', // 6 order_rejected
  'O;O1;77;1;10.00;', // 7 unknown_product
  'Z;Z1;1;1;10.00;', // 8 orphan_item
  'R;R1;1;0;10.00;', // 9 quantity_range
  'C;B1;1;1;10.00;', // 10 duplicate_id
  'N;N1;1;1;-10.00;', // 11 negative_value
];

test('every validation rule: valid rows load, each rejected row is recorded with line, column and rule', () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  gen(lake, '2026-02-01', '12', 3);
  const w = join(lake, 'csv_sales/2026/02/01/unit_002/window_1214');
  // an invalid UTF-8 byte in one line (line 20)
  writeFileSync(join(w, 'pedido.csv'), Buffer.concat([Buffer.from(PEDIDO.join('\n') + '\n'),
    Buffer.from('2;Q;Loja Fisica;2026-02-01;10.00;Rua '), Buffer.from([0xff]), Buffer.from(`;0.00;Finalizado;${T}\n`)]));
  writeFileSync(join(w, 'item_pedido.csv'), ITEMS.join('\n') + '\n');
  const P = 'csv_sales/2026/02/01/unit_002/window_1214/pedido.csv';
  const I = 'csv_sales/2026/02/01/unit_002/window_1214/item_pedido.csv';
  const expect = [
    [P, 4, 'Status', 'status_domain'], [P, 5, 'Tipo_Pedido', 'order_type_domain'], [P, 6, 'Vlr_Pedido', 'negative_value'],
    [P, 7, 'Vlr_Pedido', 'type'], [P, 8, 'Id_Pedido', 'required'], [P, 9, 'Data_Pedido', 'type'],
    [P, 10, 'Data_Pedido', 'date_path_mismatch'], [P, 11, 'Id_Unidade', 'unit_path_mismatch'], [P, 12, 'Id_Unidade', 'unknown_unit'],
    [P, 13, 'Taxa_Entrega', 'fee_rule'], [P, 14, 'Vlr_Pedido', 'order_value_mismatch'],
    [P, 15, 'Data_Hora_Pedido', 'timestamp_outside_window'], [P, 16, 'Id_Pedido', 'duplicate_id'],
    [P, 17, '', 'item_rejected'], [P, 18, '', 'item_rejected'], [P, 19, '', 'field_count'], [P, 20, '', 'encoding'],
    [I, 4, 'Id_Pedido', 'order_rejected'], [I, 5, 'Id_Pedido', 'order_rejected'], [I, 6, 'Id_Pedido', 'order_rejected'],
    [I, 7, 'Id_Produto', 'unknown_product'], [I, 8, 'Id_Pedido', 'orphan_item'], [I, 9, 'Qtd', 'quantity_range'],
    [I, 10, 'Id_Item_Pedido', 'duplicate_id'], [I, 11, 'Vlr_Item', 'negative_value'],
  ];
  for (const wh of backends(dir)) {
    const r = ingest(lake, wh, ['--strict']);
    assert.equal(r.code, 3, r.stderr); // --strict: rows were rejected
    assert.equal(r.json.files_partial, 2);
    assert.equal(r.json.files_quarantined, 0);
    assert.deepEqual(wh.query(`select id_pedido from orders where _source_file = '${P}' order by 1`), [['A'], ['B']], wh.kind);
    assert.deepEqual(wh.query(`select id_item_pedido from order_items where _source_file = '${I}' order by 1`), [['A1'], ['B1']]);
    const rejects = wh.query(`select source_file, line, coalesce(column_name, ''), rule from ingest_rejects order by 1 desc, 2, 4`);
    for (const [f, line, col, rule] of expect) {
      assert.ok(rejects.some((x) => x[0] === f && Number(x[1]) === line && x[2] === col && x[3] === rule),
        `${wh.kind}: missing reject ${rule} at ${f}:${line} (${col}); got ${JSON.stringify(rejects.filter((x) => Number(x[1]) === line && x[0] === f))}`);
    }
    // the ledger says partial, with counts
    assert.deepEqual(wh.query(`select status, rows_loaded from ingest_ledger where source_file = '${P}'`), [['partial', '2']]);
    // re-ingest: unchanged, nothing duplicated
    const again = ingest(lake, wh);
    assert.equal(again.json.files_skipped, again.json.files_seen);
    assert.equal(scalar(wh, `select count(*) from ingest_rejects where source_file = '${P}'`), rejects.filter((x) => x[0] === P).length);
  }
});

test('quarantine: wrong delimiter, bad encoding and oversize files move out with an _error.json', () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  gen(lake, '2026-02-01', '18', 3);
  const base = join(lake, 'csv_sales/2026/02/01');
  // unit 3: comma-delimited pedido.csv (its items then have no valid order either)
  const p3 = join(base, 'unit_003/window_1820/pedido.csv');
  writeFileSync(p3, readFileSync(p3, 'utf8').replaceAll(';', ','));
  // unit 2: invalid UTF-8 in the header of item_pedido.csv
  const i2 = join(base, 'unit_002/window_1820/item_pedido.csv');
  writeFileSync(i2, Buffer.concat([Buffer.from([0xc3, 0x28]), readFileSync(i2)]));
  // unit 1: a pedido.csv over the size limit
  const p1 = join(base, 'unit_001/window_1820/pedido.csv');
  writeFileSync(p1, readFileSync(p1, 'utf8') + `1;pad;Loja Fisica;2026-02-01;1.00;${'x'.repeat(5000)};0.00;Finalizado;\n`);
  const [wh] = backends(dir);
  const r = ingest(lake, wh, ['--max-file-size', '4000']);
  assert.equal(r.code, 0, r.stderr);
  const q = join(lake, 'quarantine/2026/02/01');
  const moved = ['unit_003/window_1820/pedido.csv', 'unit_003/window_1820/item_pedido.csv',
    'unit_002/window_1820/item_pedido.csv', 'unit_002/window_1820/pedido.csv', 'unit_001/window_1820/pedido.csv',
    'unit_001/window_1820/item_pedido.csv'];
  for (const m of moved) {
    assert.ok(existsSync(join(q, m)), `${m} quarantined`);
    assert.ok(!existsSync(join(base, m)), `${m} removed from the landing zone`);
    const rep = JSON.parse(readFileSync(join(q, m.replace('.csv', '_error.json')), 'utf8'));
    assert.equal(rep.source_file, `csv_sales/2026/02/01/${m}`);
    assert.ok(rep.problems.length > 0);
    assert.ok(rep.timestamp && rep.error);
  }
  const rep3 = JSON.parse(readFileSync(join(q, 'unit_003/window_1820/pedido_error.json'), 'utf8'));
  assert.deepEqual(rep3.problems.map((p) => p.column).sort(), ['Data_Pedido', 'Endereco_Entrega', 'Id_Pedido', 'Id_Unidade',
    'Status', 'Taxa_Entrega', 'Tipo_Pedido', 'Vlr_Pedido']);
  assert.ok(rep3.problems.every((p) => p.rule === 'missing_column' && p.line === 1));
  const rep2 = JSON.parse(readFileSync(join(q, 'unit_002/window_1820/item_pedido_error.json'), 'utf8'));
  assert.equal(rep2.problems[0].rule, 'encoding');
  const rep1 = JSON.parse(readFileSync(join(q, 'unit_001/window_1820/pedido_error.json'), 'utf8'));
  assert.equal(rep1.problems[0].rule, 'size_limit');
  assert.match(rep1.problems[0].message, /exceeds/);
  // unit_002's orders all lost their items, so they were rejected too and quarantined
  assert.equal(scalar(wh, 'select count(*) from orders'), 0);
  assert.equal(scalar(wh, "select count(*) from ingest_ledger where status = 'quarantined'"), 6);
  // the quarantine directory is never ingested
  const again = ingest(lake, wh);
  assert.equal(again.json.files_seen, 4);
  assert.equal(again.json.files_skipped, 4);
});

async function concurrent(lake, wh) {
  const run = () => new Promise((resolve) => {
    const p = eclSpawn(['ingest', '--source', lake, '--warehouse', wh.url, '--json', '-q', '--batch', '8']);
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
  return Promise.all([run(), run()]);
}

test('two concurrent ingest processes load every file exactly once', async () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  for (const s of ['10', '12', '14', '16', '18', '20', '22']) gen(lake, '2026-02-03', s, 12);
  const want = countLake(lake);
  for (const wh of backends(dir)) {
    const [a, b] = await concurrent(lake, wh);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const ja = JSON.parse(a.out), jb = JSON.parse(b.out);
    assert.equal(ja.files_loaded + jb.files_loaded, want.files + 4, `${wh.kind}: ${a.out} ${b.out}`);
    assert.equal(scalar(wh, 'select count(*) from orders'), want.orders, wh.kind);
    assert.equal(scalar(wh, 'select count(distinct id_pedido) from orders'), want.orders);
    assert.equal(scalar(wh, 'select count(*) from order_items'), want.items);
    assert.equal(scalar(wh, 'select count(*) from units'), 12);
    assert.equal(scalar(wh, 'select count(*) from ingest_ledger'), want.files + 4);
  }
});

test('the scan finds windowless unit directories and walks a window_HHHH directory that holds no window files', () => {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  gen(lake, '2026-02-01', '12', 2);
  gen(lake, '2026-02-01', '14', 2);
  const base = join(lake, 'csv_sales/2026/02/01');
  // the original generators' layout: the files directly in the unit directory
  for (const f of ['pedido.csv', 'item_pedido.csv']) renameSync(join(base, 'unit_001/window_1214', f), join(base, 'unit_001', f));
  rmSync(join(base, 'unit_001/window_1214'), { recursive: true });
  // a window_HHHH directory whose files sit one level deeper
  mkdirSync(join(base, 'unit_002/window_1416/nested'));
  for (const f of ['pedido.csv', 'item_pedido.csv']) renameSync(join(base, 'unit_002/window_1416', f), join(base, 'unit_002/window_1416/nested', f));
  const [wh] = backends(dir);
  const want = countLake(lake);
  const r = ingest(lake, wh, ['--no-reference-check']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.files_seen, want.files + 4);
  assert.equal(scalar(wh, "select count(*) from ingest_ledger where source_file = 'csv_sales/2026/02/01/unit_001/pedido.csv'"), 1);
  assert.equal(scalar(wh, "select count(*) from ingest_ledger where source_file = 'csv_sales/2026/02/01/unit_002/window_1416/nested/item_pedido.csv'"), 1);
  const again = ingest(lake, wh, ['--no-reference-check']);
  assert.equal(again.json.files_skipped, want.files + 4);
  assert.equal(again.json.bytes_read, 0);
});
