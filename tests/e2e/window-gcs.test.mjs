// ecomlake window --format parquet to gs:// (a fake GCS JSON API on 127.0.0.1): the local bytes,
// data before _MANIFEST.json before _SUCCESS, nothing re-uploaded on regeneration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { startFakeGcs } from './lib/fakegcs.mjs';
import { eclAsync } from './lib/upload.mjs';

let gcs;
before(async () => { gcs = await startFakeGcs({ buckets: ['lake'], auth: false }); });
after(async () => { await gcs.close(); });

const env = () => ({ HOME: '/nonexistent', GOOGLE_APPLICATION_CREDENTIALS: '', CLOUDSDK_CONFIG: '', GCE_METADATA_HOST: '',
  STORAGE_EMULATOR_HOST: gcs.host });

test('window --format parquet --dest gs:// stores the local Parquet bytes', async () => {
  const local = tempDir();
  const args = ['window', '--date', '2026-02-03', '--window-start', '20:00', '--window-end', '22:00', '--units', '2',
    '--seed', '2', '--format', 'parquet'];
  let r = await eclAsync([...args, '--output-dir', local, '--no-fsync'], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  r = await eclAsync([...args, '--dest', 'gs://lake/mrhealth'], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  for (let u = 1; u <= 2; u++) {
    const rel = `csv_sales/2026/02/03/unit_00${u}/window_2022`;
    for (const f of ['pedido.parquet', 'item_pedido.parquet', '_MANIFEST.json', '_SUCCESS']) {
      const o = gcs.object('lake', `mrhealth/${rel}/${f}`);
      assert.ok(o, `${rel}/${f} stored`);
      assert.ok(o.data.equals(readFileSync(join(local, rel, f))), `${rel}/${f} has the local bytes`);
    }
  }
  for (const t of ['produto', 'unidade', 'estado', 'pais'])
    assert.ok(gcs.object('lake', `mrhealth/reference_data/${t}.parquet`).data.equals(readFileSync(join(local, 'reference_data', `${t}.parquet`))));
  const m = JSON.parse(gcs.object('lake', 'mrhealth/csv_sales/2026/02/03/unit_001/window_2022/_MANIFEST.json').data.toString());
  assert.equal(m.format, 'parquet');
  const writes = gcs.stats.writes.length;
  r = await eclAsync([...args, '--dest', 'gs://lake/mrhealth'], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(gcs.stats.writes.length, writes, 'regeneration is byte-identical: nothing re-uploaded');
});
