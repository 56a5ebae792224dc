// ecomlake ingest --source s3://… and gs://… (s3rver and the fake GCS on 127.0.0.1): the landing zone
// written by `window --dest` loads into the same warehouse as a local ingest of the same windows;
// a re-ingest downloads nothing (one listing); a changed object is reloaded; windows without
// _SUCCESS wait; bad objects move to quarantine/ in the same bucket with their _error.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { startFakeGcs } from './lib/fakegcs.mjs';
import { eclAsync, s3env } from './lib/upload.mjs';
import { sqliteWarehouse, scalar } from './lib/warehouse.mjs';

let s3, gcs;
before(async () => {
  s3 = await startS3({ buckets: ['lake'] });
  gcs = await startFakeGcs({ buckets: ['lake'], auth: false });
});
after(async () => { await s3.close(); await gcs.close(); });

const gsEnv = () => ({ STORAGE_EMULATOR_HOST: gcs.host, HOME: '/nonexistent', GOOGLE_APPLICATION_CREDENTIALS: '',
  CLOUDSDK_CONFIG: '', GCE_METADATA_HOST: '', ECOMLAKE_UPLOAD_RETRIES: '2', ECOMLAKE_UPLOAD_BACKOFF_BASE: '0.05' });

async function win(start, out, env, seed = 1, date = '2026-02-01') {
  const h = Number(start);
  const r = await eclAsync(['-q', 'window', '--date', date, '--window-start', `${start}:00`, '--window-end',
    `${String(h + 2).padStart(2, '0')}:00`, '--units', '3', '--seed', String(seed), ...out], { env });
  assert.equal(r.code, 0, r.stderr);
}

async function ingest(source, wh, env = {}, extra = []) {
  const r = await eclAsync(['-q', '--no-progress', 'ingest', '--source', source, '--warehouse', wh.url, '--json', ...extra],
    { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// Everything a load leaves in the warehouse that must not depend on where the files came from.
function snapshot(wh) {
  const q = (sql) => wh.query(sql).map((r) => r.join('|')).join('\n');
  return {
    orders: q('select _source_file, count(*), sum(vlr_pedido), min(id_pedido) from orders group by 1 order by 1'),
    items: q('select _source_file, count(*), sum(qtd * vlr_item) from order_items group by 1 order by 1'),
    refs: q("select (select count(*) from units), (select count(*) from products), (select count(*) from states), (select count(*) from countries)"),
    ledger: q("select source_file, sha256, size_bytes, status, rows_loaded from ingest_ledger order by 1"),
  };
}

async function s3put(key, body) {
  const r = await fetch(`${s3.endpoint}/lake/${key}`, { method: 'PUT', body });
  assert.equal(r.status, 200, `PUT ${key}`);
}

async function s3del(key) {
  const r = await fetch(`${s3.endpoint}/lake/${key}`, { method: 'DELETE' });
  assert.ok(r.status === 204 || r.status === 200, `DELETE ${key}`);
}

test('s3:// source: same warehouse as a local ingest, re-ingest downloads nothing, a changed object reloads', async () => {
  const dir = tempDir();
  const local = join(dir, 'lake');
  const env = s3env(s3.endpoint, { ECOMLAKE_S3_MAX_KEYS: '5' }); // listings of several pages
  for (const s of ['10', '12', '18']) {
    await win(s, ['--output-dir', local, '--no-fsync']);
    await win(s, ['--dest', 's3://lake/mr'], env);
  }
  const whL = sqliteWarehouse(dir, 'local.db'), whR = sqliteWarehouse(dir, 'remote.db');
  const a = await ingest(local, whL);
  const b = await ingest('s3://lake/mr', whR, env);
  assert.equal(a.files_loaded, 3 * 3 * 2 + 4);
  assert.equal(b.files_loaded, a.files_loaded);
  assert.equal(b.rows_loaded, a.rows_loaded);
  assert.equal(b.rows_rejected, 0);
  assert.deepEqual(snapshot(whR), snapshot(whL));

  // unchanged objects are recognised from the listing alone: nothing downloaded, nothing loaded
  s3.resetStats();
  const again = await ingest('s3://lake/mr', whR, env);
  assert.equal(again.files_skipped, b.files_loaded);
  assert.equal(again.files_loaded, 0);
  assert.equal(again.bytes_read, 0);
  assert.equal(s3.stats.methods.PUT || 0, 0);
  assert.ok(s3.stats.methods.GET <= Math.ceil((3 * 3 * 4) / 5) + 2, `only listing pages: ${s3.stats.methods.GET} GETs`);
  assert.deepEqual(snapshot(whR), snapshot(whL));

  // a window regenerated with another seed: only its objects are downloaded, and their rows replaced
  await win('12', ['--output-dir', local, '--no-fsync'], {}, 77);
  await win('12', ['--dest', 's3://lake/mr'], env, 77);
  const la = await ingest(local, whL);
  const rb = await ingest('s3://lake/mr', whR, env);
  assert.equal(rb.files_loaded, 6);
  assert.equal(rb.files_loaded, la.files_loaded);
  assert.equal(rb.files_skipped, b.files_loaded - 6);
  assert.deepEqual(snapshot(whR), snapshot(whL));
  assert.equal(scalar(whR, 'select count(*) from orders'), scalar(whL, 'select count(*) from orders'));

  // --rehash downloads and hashes every object but loads nothing new
  const rh = await ingest('s3://lake/mr', whR, env, ['--rehash']);
  assert.equal(rh.files_loaded, 0);
  assert.ok(rh.bytes_read > 0);
});

test('s3:// source: a window without _SUCCESS waits; --no-commit-check loads it', async () => {
  const dir = tempDir();
  const env = s3env(s3.endpoint);
  await win('10', ['--dest', 's3://lake/uc'], env);
  await win('14', ['--dest', 's3://lake/uc'], env);
  for (let u = 1; u <= 3; u++) await s3del(`uc/csv_sales/2026/02/01/unit_00${u}/window_1416/_SUCCESS`);
  const wh = sqliteWarehouse(dir);
  const r = await ingest('s3://lake/uc', wh, env);
  assert.equal(r.files_loaded, 3 * 2 + 4);
  assert.equal(r.windows_uncommitted, 3);
  assert.equal(scalar(wh, "select count(*) from orders where _source_file like '%window_1416%'"), 0);
  const forced = await ingest('s3://lake/uc', wh, env, ['--no-commit-check']);
  assert.equal(forced.files_loaded, 6);
  assert.equal(forced.windows_uncommitted, 0);
  assert.ok(scalar(wh, "select count(*) from orders where _source_file like '%window_1416%'") > 0);
});

test('s3:// source: a bad object is copied to quarantine/ with its _error.json and removed from the landing prefix', async () => {
  const dir = tempDir();
  const env = s3env(s3.endpoint);
  await win('10', ['--dest', 's3://lake/q'], env);
  const bad = 'q/csv_sales/2026/02/01/unit_002/window_1214';
  const body = 'Id_Unidade,Id_Pedido,Tipo_Pedido\n2,X,Loja Fisica\n'; // wrong delimiter
  await s3put(`${bad}/pedido.csv`, body);
  await s3put(`${bad}/_SUCCESS`, '');
  const wh = sqliteWarehouse(dir);
  const r = await ingest('s3://lake/q', wh, env);
  assert.equal(r.files_quarantined, 1);
  assert.equal(s3.object('lake', `${bad}/pedido.csv`), null, 'original deleted');
  const moved = s3.object('lake', 'q/quarantine/2026/02/01/unit_002/window_1214/pedido.csv');
  assert.ok(moved, 'copied to quarantine/');
  assert.equal(moved.data.toString(), body);
  const report = JSON.parse(s3.object('lake', 'q/quarantine/2026/02/01/unit_002/window_1214/pedido_error.json').data);
  assert.equal(report.source_file, 'csv_sales/2026/02/01/unit_002/window_1214/pedido.csv');
  assert.ok(report.problems.length >= 1);
  assert.equal(scalar(wh, "select count(*) from ingest_ledger where status = 'quarantined'"), 1);
  // the quarantine prefix is not ingested on the next run, and nothing else changes
  const again = await ingest('s3://lake/q', wh, env);
  assert.equal(again.files_loaded + again.files_quarantined, 0);
});

test('gs:// source: same warehouse as a local ingest, re-ingest downloads nothing, a changed object reloads', async () => {
  const dir = tempDir();
  const local = join(dir, 'lake');
  const env = { ...gsEnv(), ECOMLAKE_GCS_MAX_RESULTS: '4' };
  for (const s of ['16', '20']) {
    await win(s, ['--output-dir', local, '--no-fsync']);
    await win(s, ['--dest', 'gs://lake/mr'], env);
  }
  const whL = sqliteWarehouse(dir, 'local.db'), whR = sqliteWarehouse(dir, 'remote.db');
  const a = await ingest(local, whL);
  const b = await ingest('gs://lake/mr', whR, env);
  assert.equal(b.files_loaded, 3 * 2 * 2 + 4);
  assert.equal(b.files_loaded, a.files_loaded);
  assert.deepEqual(snapshot(whR), snapshot(whL));
  const again = await ingest('gs://lake/mr', whR, env);
  assert.equal(again.files_skipped, b.files_loaded);
  assert.equal(again.bytes_read, 0);
  await win('20', ['--output-dir', local, '--no-fsync'], {}, 5);
  await win('20', ['--dest', 'gs://lake/mr'], env, 5);
  await ingest(local, whL);
  const c = await ingest('gs://lake/mr', whR, env);
  assert.equal(c.files_loaded, 6);
  assert.deepEqual(snapshot(whR), snapshot(whL));
});

test('s3:// source of Parquet windows: same warehouse as a local ingest; a truncated object is quarantined', async () => {
  const dir = tempDir();
  const local = join(dir, 'lake');
  const env = s3env(s3.endpoint);
  for (const s of ['10', '12']) {
    await win(s, ['--output-dir', local, '--no-fsync', '--format', 'parquet']);
    await win(s, ['--dest', 's3://lake/pq', '--format', 'parquet'], env);
  }
  const whL = sqliteWarehouse(dir, 'local.db'), whR = sqliteWarehouse(dir, 'remote.db');
  const a = await ingest(local, whL);
  const b = await ingest('s3://lake/pq', whR, env);
  assert.equal(a.files_loaded, 2 * 3 * 2 + 4);
  assert.equal(b.files_loaded, a.files_loaded);
  assert.equal(b.rows_loaded, a.rows_loaded);
  assert.deepEqual(snapshot(whR), snapshot(whL));
  assert.equal(scalar(whR, "select count(*) from ingest_ledger where source_file like '%.parquet' and stat_key like 'obj:%'"), b.files_loaded);
  const again = await ingest('s3://lake/pq', whR, env);
  assert.equal(again.files_loaded, 0);
  assert.equal(again.bytes_read, 0);

  const key = 'pq/csv_sales/2026/02/01/unit_003/window_1012/item_pedido.parquet';
  const body = s3.object('lake', key).data.subarray(0, 40);
  await s3put(key, body);
  const r = await ingest('s3://lake/pq', whR, env);
  assert.ok(r.files_quarantined >= 1);
  assert.equal(s3.object('lake', key), null, 'original deleted');
  const qdir = 'pq/quarantine/2026/02/01/unit_003/window_1012';
  assert.deepEqual(s3.object('lake', `${qdir}/item_pedido.parquet`).data, body);
  const report = JSON.parse(s3.object('lake', `${qdir}/item_pedido_error.json`).data);
  assert.equal(report.problems[0].rule, 'malformed');
});
