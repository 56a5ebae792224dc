// The ledger on PostgreSQL: a backfill records runs, partitions and backfill_log rows in a shared
// server, resumes from it, and `status` reads it (the unit tests cover the SQL with ECOMLAKE_TEST_PG_URL;
// this runs the real binary against a throwaway server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from './lib/run.mjs';
import { run, runJson, hashTree } from './lib/rawzone.mjs';
import { startPg, pgSkipReason } from './lib/pgserver.mjs';

test('backfill with a postgresql:// ledger', async (t) => {
  const why = pgSkipReason();
  if (why) {
    t.skip(why);
    return;
  }
  const pg = await startPg();
  if (!pg) {
    t.skip('cannot start PostgreSQL');
    return;
  }
  t.after(() => pg.stop());
  const url = pg.createDb('ledger');
  const d = tempDir();
  const dest = join(d, 'lake');
  const args = ['backfill', '--start-date', '2020-01-01', '--end-date', '2020-01-04', '--tables', 'orders,returns',
    '--chunk-days', '2', '--dest', dest, '--state', url];
  const r = runJson(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.partitions_written, 8);
  assert.equal(pg.psql(url, "select count(*) from backfill_log where status = 'completed'"), '4');
  assert.equal(pg.psql(url, "select count(*) from partitions where state = 'committed'"), '8');
  const before = hashTree(dest);
  const again = runJson(args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.json.partitions_skipped, 8);
  assert.equal(again.json.batch_id, r.json.batch_id);
  assert.deepEqual(hashTree(dest), before);
  const st = runJson(['status', '--state', url]);
  assert.equal(st.code, 0, st.stderr);
  assert.equal(st.json.runs.length, 2);
  assert.equal(run(['status', '--state', url.replace('/ledger', '/nope')]).code, 1);
});
