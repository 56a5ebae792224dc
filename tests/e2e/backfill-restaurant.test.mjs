// backfill --dataset restaurant: the restaurant chain through the generic dataset contract into the
// raw zone (daily orders/order_items partitions, reference tables as one snapshot partition each),
// with the same lineage, manifests and chunk invariance as ecom, and rows equal to the windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ecl, tempDir, duck } from './lib/run.mjs';
import { run, runJson, hashTree, manifests, verify, EPOCH_ENV } from './lib/rawzone.mjs';
import { sqlStr } from './lib/parquet.mjs';
import { startS3 } from './lib/s3server.mjs';
import { eclAsync, s3env } from './lib/upload.mjs';

const RANGE = ['--start-date', '2026-02-01', '--end-date', '2026-02-06'];

function config(dir, units) {
  const p = join(dir, `resto-${units}.yaml`);
  writeFileSync(p, `# restaurant chain\nunits: ${units}\ntimezone: America/Sao_Paulo\n`);
  return p;
}

test('files are identical for any --chunk-days, --jobs and split runs', () => {
  const d = tempDir();
  const cfg = config(d, 6);
  const base = ['backfill', '--dataset', 'restaurant', '--config', cfg, '--seed', '4', '--batch-id', 'b1'];
  const trees = [];
  for (const extra of [['--chunk-days', '1', '--jobs', '1'], ['--chunk-days', '4', '--jobs', '2'], ['--chunk-days', '30']]) {
    const dest = join(d, `lake-${trees.length}`);
    const r = run([...base, ...RANGE, ...extra, '--dest', dest]);
    assert.equal(r.code, 0, r.stderr);
    trees.push(hashTree(dest));
  }
  // the same range in two runs (resume of a longer range)
  const split = join(d, 'lake-split');
  assert.equal(run([...base, '--start-date', '2026-02-01', '--end-date', '2026-02-03', '--dest', split]).code, 0);
  const r = runJson([...base, ...RANGE, '--dest', split]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.partitions_skipped, 3 * 2 + 4, 'the first run\'s days and snapshots are kept');
  assert.equal(r.json.partitions_written, 3 * 2);
  trees.push(hashTree(split));
  const files = Object.keys(trees[0]);
  assert.equal(files.filter((f) => f.endsWith('.parquet')).length, 6 * 2 + 4, 'two daily tables x 6 days + 4 snapshots');
  for (let i = 1; i < trees.length; i++) assert.deepEqual(trees[i], trees[0], `run ${i} differs`);
  // another seed gives other orders
  const other = join(d, 'lake-other');
  assert.equal(run(['backfill', '--dataset', 'restaurant', '--config', cfg, '--seed', '5', '--batch-id', 'b1', ...RANGE, '--dest', other]).code, 0);
  const t = hashTree(other);
  assert.notEqual(t['orders/ingest_dt=2026-02-01/part-00000.parquet'], trees[0]['orders/ingest_dt=2026-02-01/part-00000.parquet']);
});

test('DuckDB counts equal the manifests; lineage, keys and integrity hold; verify is clean', async () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const r = run(['backfill', '--dataset', 'restaurant', '--config', config(d, 10), ...RANGE, '--dest', dest]);
  assert.equal(r.code, 0, r.stderr);
  const ms = manifests(dest);
  assert.deepEqual([...new Set(ms.map((m) => m.manifest.table))].sort(),
    ['countries', 'order_items', 'orders', 'products', 'states', 'units']);
  for (const m of ms) {
    assert.equal(m.manifest.dataset, 'restaurant');
    assert.match(m.manifest.generator_version, /restaurant-model 1/);
    assert.equal(m.manifest.messiness, 'none');
  }
  for (const table of ['orders', 'order_items', 'products', 'units', 'states', 'countries']) {
    const tm = ms.filter((m) => m.manifest.table === table);
    const key = tm[0].manifest.partition_key;
    assert.equal(key, ['orders', 'order_items'].includes(table) ? 'ingest_dt' : 'reference_version');
    const rows = await duck(`select ${key}::varchar as k, count(*)::bigint as n, count(distinct event_id)::bigint as ids,
      count(distinct batch_id)::bigint as batches, count(distinct source_file)::bigint as files
      from read_parquet(${sqlStr(`${dest}/${table}/*/*.parquet`)}, hive_partitioning=true) group by 1 order by 1`);
    const got = Object.fromEntries(rows.map((x) => [x.k, Number(x.n)]));
    const want = Object.fromEntries(tm.map((m) => [m.manifest.partition_value, m.manifest.total_rows]));
    assert.deepEqual(got, want, table);
    for (const x of rows) {
      assert.equal(Number(x.ids), Number(x.n), `${table}: one event_id per row`);
      assert.equal(Number(x.batches), 1);
      assert.equal(Number(x.files), 1);
    }
  }
  const glob = (t) => sqlStr(`${dest}/${t}/*/*.parquet`);
  const [c] = await duck(`select
      (select count(*) from read_parquet(${glob('products')}))::INTEGER as products,
      (select count(*) from read_parquet(${glob('units')}))::INTEGER as units,
      (select count(*) from read_parquet(${glob('states')}))::INTEGER as states,
      (select count(*) from read_parquet(${glob('countries')}))::INTEGER as countries,
      (select count(*) - count(distinct Id_Pedido) from read_parquet(${glob('orders')}))::INTEGER as dup_orders,
      (select count(*) from read_parquet(${glob('order_items')}) i anti join read_parquet(${glob('orders')}) o using (Id_Pedido))::INTEGER as orphans,
      (select count(*) from read_parquet(${glob('orders')}) o anti join read_parquet(${glob('units')}) u using (Id_Unidade))::INTEGER as bad_units,
      (select count(*) from read_parquet(${glob('order_items')}) i anti join read_parquet(${glob('products')}) p using (Id_Produto))::INTEGER as bad_products,
      (select count(*) from read_parquet(${glob('orders')}, hive_partitioning=true) where Data_Pedido <> ingest_dt::DATE)::INTEGER as wrong_day,
      (select count(*) from (select o.Id_Pedido, any_value(o.Vlr_Pedido) v, any_value(o.Taxa_Entrega) f, sum(i.Qtd * i.Vlr_Item) s
         from read_parquet(${glob('orders')}) o join read_parquet(${glob('order_items')}) i using (Id_Pedido) group by 1) where v <> s + f)::INTEGER as bad_money`);
  assert.deepEqual(c, { products: 30, units: 10, states: 3, countries: 1, dup_orders: 0, orphans: 0, bad_units: 0,
    bad_products: 0, wrong_day: 0, bad_money: 0 });
  const v = verify(dest);
  assert.equal(v.code, 0, v.stderr);
});

test('a raw-zone day holds exactly the rows of that day\'s seven Parquet windows', async () => {
  const d = tempDir();
  const dest = join(d, 'lake'), win = join(d, 'windows');
  assert.equal(run(['backfill', '--dataset', 'restaurant', '--config', config(d, 3), '--seed', '8',
    '--start-date', '2026-03-07', '--end-date', '2026-03-07', '--dest', dest]).code, 0);
  for (const h of [10, 12, 14, 16, 18, 20, 22]) {
    const end = h === 22 ? '00:00' : `${h + 2}:00`;
    const r = ecl(['window', '--date', '2026-03-07', '--window-start', `${h}:00`, '--window-end', end, '--units', '3',
      '--seed', '8', '--format', 'parquet', '--output-dir', win, '--no-fsync']);
    assert.equal(r.code, 0, r.stderr);
  }
  for (const [table, file, key] of [['orders', 'pedido', 'Id_Pedido'], ['order_items', 'item_pedido', 'Id_Item_Pedido']]) {
    const cols = table === 'orders'
      ? 'Id_Unidade, Id_Pedido, Tipo_Pedido, Data_Pedido, Vlr_Pedido, Endereco_Entrega, Taxa_Entrega, Status, Data_Hora_Pedido'
      : 'Id_Pedido, Id_Item_Pedido, Id_Produto, Qtd, Vlr_Item, Observacao';
    const a = await duck(`select ${cols} from read_parquet(${sqlStr(`${dest}/${table}/*/*.parquet`)}) order by ${key}`);
    const b = await duck(`select ${cols} from read_parquet(${sqlStr(`${win}/csv_sales/2026/03/07/*/*/${file}.parquet`)}) order by ${key}`);
    assert.ok(a.length > 20);
    assert.deepEqual(a, b, table);
  }
  const u = await duck(`select Id_Unidade, Nome_Unidade, Id_Estado from read_parquet(${sqlStr(`${dest}/units/*/*.parquet`)}) order by 1`);
  const w = await duck(`select * from read_parquet(${sqlStr(`${win}/reference_data/unidade.parquet`)}) order by 1`);
  assert.deepEqual(u, w);
});

test('validation: unknown dataset, tables, messiness and config values', () => {
  const d = tempDir();
  const dest = join(d, 'lake');
  const args = ['backfill', '--start-date', '2026-02-01', '--end-date', '2026-02-01', '--dest', dest];
  let r = run([...args, '--dataset', 'pizzeria']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown dataset 'pizzeria' \(known: ecom, restaurant\)/);
  r = run([...args, '--dataset', 'restaurant', '--tables', 'orders,carts']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown table 'carts' for dataset 'restaurant' \(known: orders, order_items, products, units, states, countries\)/);
  r = run([...args, '--dataset', 'restaurant', '--messiness-level', 'heavy_mess']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /messiness level 'heavy_mess' is not available for the restaurant dataset/);
  const bad = join(d, 'bad.yaml');
  writeFileSync(bad, 'units: 0\n');
  r = run([...args, '--dataset', 'restaurant', '--config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:1:8: key 'units': expected a whole number between 1 and 100000, got '0'/);
  writeFileSync(bad, 'units: 3\ntimezone: Mars/Base\n');
  r = run([...args, '--dataset', 'restaurant', '--config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /key 'timezone'.*Mars\/Base/);
  assert.equal(existsSync(join(dest, 'orders')), false, 'nothing written');
  // --tables picks a subset; a dry run counts what a run writes
  const p = runJson([...args, '--dataset', 'restaurant', '--tables', 'orders', '--dry-run']);
  assert.equal(p.code, 0, p.stderr);
  r = runJson([...args, '--dataset', 'restaurant', '--tables', 'orders']);
  assert.equal(r.code, 0, r.stderr);
  const ms = manifests(dest);
  assert.deepEqual(ms.map((m) => m.dir), ['orders/ingest_dt=2026-02-01']);
  assert.equal(p.json.chunks[0].tables.orders.rows, ms[0].manifest.total_rows);
});

test('--dest s3:// stores the same partitions as a local run', async () => {
  const s3 = await startS3({ buckets: ['lake'] });
  try {
    const d = tempDir();
    const env = { ...s3env(s3.endpoint), ...EPOCH_ENV };
    const common = ['--no-progress', 'backfill', '--dataset', 'restaurant', '--config', config(d, 4), '--batch-id', 'b3',
      '--start-date', '2026-02-01', '--end-date', '2026-02-02'];
    const local = join(d, 'lake');
    let r = await eclAsync([...common, '--dest', local], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await eclAsync([...common, '--dest', 's3://lake/raw', '--state', join(d, 'state.sqlite'), '--staging-dir', join(d, 'staging')], { env });
    assert.equal(r.code, 0, r.stderr);
    const tree = hashTree(local, { parquetOnly: true });
    assert.equal(Object.keys(tree).length, 2 * 2 + 4);
    for (const [rel, sha] of Object.entries(tree)) {
      const o = s3.object('lake', `raw/${rel}`);
      assert.ok(o, `${rel} uploaded`);
      assert.equal(createHash('sha256').update(o.data).digest('hex'), sha, rel);
      assert.ok(s3.object('lake', `raw/${rel.replace(/[^/]+$/, '_SUCCESS')}`));
    }
    const v = await eclAsync(['verify', '--dest', 's3://lake/raw', '--json'], { env });
    assert.equal(v.code, 0, v.stderr);
  } finally {
    await s3.close();
  }
});
