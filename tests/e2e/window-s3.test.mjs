// ecomlake window and continuous publishing to S3 (a local S3 server): the same bytes as a local
// run, data before _MANIFEST.json before _SUCCESS, and unchanged objects skipped on republish.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, tempDir } from './lib/run.mjs';
import { startS3 } from './lib/s3server.mjs';
import { s3env } from './lib/upload.mjs';

let s3;
before(async () => { s3 = await startS3({ buckets: ['lake'] }); });
after(async () => { await s3.close(); });

function run(args) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { env: { ...process.env, ...s3env(s3.endpoint) } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

test('window --dest s3:// publishes the same files as a local run, _SUCCESS last', async () => {
  const local = tempDir();
  const args = ['window', '--date', '2026-02-01', '--window-start', '18:00', '--window-end', '20:00', '--units', '3', '--seed', '4'];
  let r = await run([...args, '--output-dir', local, '--no-fsync']);
  assert.equal(r.code, 0, r.err);
  s3.resetStats();
  r = await run([...args, '--dest', 's3://lake/mrhealth', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).tag, 'window_1820');
  for (let u = 1; u <= 3; u++) {
    const rel = `csv_sales/2026/02/01/unit_00${u}/window_1820`;
    for (const f of ['pedido.csv', 'item_pedido.csv', '_MANIFEST.json', '_SUCCESS']) {
      const obj = s3.object('lake', `mrhealth/${rel}/${f}`);
      assert.ok(obj, `${rel}/${f} uploaded`);
      assert.ok(obj.data.equals(readFileSync(join(local, rel, f))), `${rel}/${f} has the local bytes`);
    }
    const order = s3.stats.writes.filter((k) => k.includes(rel)).map((k) => k.split('/').pop());
    assert.deepEqual(order, ['pedido.csv', 'item_pedido.csv', '_MANIFEST.json', '_SUCCESS']);
  }
  assert.ok(s3.object('lake', 'mrhealth/reference_data/produto.csv'));
  // republishing the same window uploads nothing new
  const writes = s3.stats.writes.length;
  r = await run([...args, '--dest', 's3://lake/mrhealth']);
  assert.equal(r.code, 0, r.err);
  assert.equal(s3.stats.writes.length, writes);
});

test('continuous --dest s3:// needs a state and publishes due windows', async () => {
  const dir = tempDir();
  let r = await run(['continuous', '--dest', 's3://lake/sched', '--once']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--state/);
  r = await run(['continuous', '--dest', 's3://lake/sched', '--state', `sqlite:${join(dir, 'state.db')}`, '--units', '2',
    '--once', '--now', '2026-03-01T14:10:00-03:00', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trim().split('\n').map((l) => JSON.parse(l).window), ['window_1012', 'window_1214']);
  assert.ok(s3.object('lake', 'sched/csv_sales/2026/03/01/unit_002/window_1214/_SUCCESS'));
});

test('window --format parquet --dest s3:// uploads the local Parquet bytes, _SUCCESS last', async () => {
  const local = tempDir();
  const args = ['window', '--date', '2026-02-02', '--window-start', '12:00', '--window-end', '14:00', '--units', '2',
    '--seed', '6', '--format', 'parquet'];
  let r = await run([...args, '--output-dir', local, '--no-fsync']);
  assert.equal(r.code, 0, r.err);
  s3.resetStats();
  r = await run([...args, '--dest', 's3://lake/pq']);
  assert.equal(r.code, 0, r.err);
  for (let u = 1; u <= 2; u++) {
    const rel = `csv_sales/2026/02/02/unit_00${u}/window_1214`;
    for (const f of ['pedido.parquet', 'item_pedido.parquet', '_MANIFEST.json', '_SUCCESS']) {
      const obj = s3.object('lake', `pq/${rel}/${f}`);
      assert.ok(obj, `${rel}/${f} uploaded`);
      assert.ok(obj.data.equals(readFileSync(join(local, rel, f))), `${rel}/${f} has the local bytes`);
    }
    const order = s3.stats.writes.filter((k) => k.includes(rel)).map((k) => k.split('/').pop());
    assert.deepEqual(order, ['pedido.parquet', 'item_pedido.parquet', '_MANIFEST.json', '_SUCCESS']);
  }
  for (const f of ['produto', 'unidade', 'estado', 'pais'])
    assert.ok(s3.object('lake', `pq/reference_data/${f}.parquet`).data.equals(readFileSync(join(local, 'reference_data', `${f}.parquet`))));
  const writes = s3.stats.writes.length;
  r = await run([...args, '--dest', 's3://lake/pq']);
  assert.equal(r.code, 0, r.err);
  assert.equal(s3.stats.writes.length, writes, 'regeneration is byte-identical: nothing re-uploaded');
  assert.deepEqual(s3.stats.deletes, []);
  // the same window republished as CSV: the Parquet objects are removed before _SUCCESS
  s3.resetStats();
  r = await run([...args.slice(0, -2), '--dest', 's3://lake/pq']);
  assert.equal(r.code, 0, r.err);
  const rel = 'pq/csv_sales/2026/02/02/unit_001/window_1214';
  assert.ok(s3.object('lake', `${rel}/pedido.csv`));
  assert.ok(!s3.object('lake', `${rel}/pedido.parquet`) && !s3.object('lake', `${rel}/item_pedido.parquet`));
  assert.ok(!s3.object('lake', 'pq/reference_data/produto.parquet'));
  assert.equal(JSON.parse(s3.object('lake', `${rel}/_MANIFEST.json`).data.toString()).format, 'csv');
  assert.ok(s3.stats.deletes.includes(`${rel}/pedido.parquet`));
});
