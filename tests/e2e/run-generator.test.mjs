// End-to-end tests of `ecomlake run-generator`: usage errors, byte-identical days whatever the
// chunking, the original's QA invariants in DuckDB over Parquet output, CSV dialect, messiness ground
// truth against the files, artifact-root naming and clean failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ecl, eclSpawn, tempDir, duck, ROOT } from './lib/run.mjs';
import { parseCsv, csvBody, TABLES } from './lib/ecom.mjs';

// A small world (short seek, few customers) for the many-run determinism test.
const SMALL = `world:
  epoch: 2023-10-01
  new_customers_per_day: 40
`;

function smallConfig(dir) {
  const p = join(dir, 'small.yaml');
  writeFileSync(p, SMALL);
  return p;
}

function gen(args, env) {
  const r = ecl(['run-generator', '--no-progress', ...args], { env });
  assert.equal(r.code, 0, `run-generator ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

test('usage errors name the flag and exit 2; config errors name file:line:col', () => {
  const cases = [
    [['--bogus'], /unknown option '--bogus'/],
    [['--start-date', '2024-02-30'], /--start-date: '2024-02-30' is not a valid date/],
    [['--end-date', '2024-01-02', '--days', '3'], /--end-date and --days are mutually exclusive/],
    [['--format', 'xml'], /--format: 'xml' is not one of csv, parquet/],
    [['--tables', 'orders,nope'], /--tables: unknown table 'nope'/],
    [['--messiness-level', 'chaos'], /--messiness-level: 'chaos'/],
    [['--start-date', '2019-01-01'], /before the world's epoch 2020-01-01/],
    [['--start-date', '2024-01-05', '--end-date', '2024-01-01'], /--end-date is before --start-date/],
    [['--output-dir', 'a', '--artifact-root', 'b'], /mutually exclusive/],
  ];
  for (const [args, re] of cases) {
    const r = ecl(['run-generator', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const dir = tempDir();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'parameters:\n  conversion_rate: 1.3\n');
  const r = ecl(['run-generator', '--config', bad, '--output-dir', join(dir, 'o')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:2:20: key 'parameters\.conversion_rate': expected a number between 0 and 1/);
  assert.equal(existsSync(join(dir, 'o', 'orders.csv')), false);
});

test('2024 Q1 at once equals 13 weekly and 91 daily runs byte for byte; another seed differs', () => {
  const dir = tempDir();
  const cfg = smallConfig(dir);
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const whole = join(dir, 'whole');
  gen(['--config', cfg, '--start-date', '2024-01-01', '--end-date', '2024-03-31', '--output-dir', whole], env);
  const start = Date.UTC(2024, 0, 1);
  const iso = (i) => new Date(start + i * 86400000).toISOString().slice(0, 10);
  for (const [step, runs] of [[7, 13], [1, 91]]) {
    const parts = [];
    for (let i = 0; i < runs; i++) {
      const out = join(dir, `s${step}-${i}`);
      gen(['--config', cfg, '--start-date', iso(i * step), '--days', String(step), '--output-dir', out], env);
      parts.push(out);
    }
    for (const t of TABLES) {
      const want = readFileSync(join(whole, `${t}.csv`), 'utf8');
      if (t === 'product_catalog') {
        for (const p of parts) assert.equal(readFileSync(join(p, `${t}.csv`), 'utf8'), want);
        continue;
      }
      const header = want.slice(0, want.indexOf('\r\n') + 2);
      const got = header + parts.map((p) => csvBody(readFileSync(join(p, `${t}.csv`), 'utf8'))).join('');
      assert.ok(got === want, `${t}: ${runs} runs of ${step} day(s) differ from the whole quarter`);
    }
  }
  const other = join(dir, 'seed7');
  gen(['--config', cfg, '--start-date', '2024-01-01', '--days', '7', '--seed', '7', '--output-dir', other], env);
  assert.notEqual(readFileSync(join(other, 'orders.csv'), 'utf8'),
    readFileSync(join(dir, 's7-0', 'orders.csv'), 'utf8'));
});

test('default config: a day is the same alone or inside a range', () => {
  const dir = tempDir();
  const tables = 'customers,shopping_carts,orders,returns,return_items';
  gen(['--start-date', '2024-06-10', '--days', '3', '--tables', tables, '--output-dir', join(dir, 'all')]);
  for (let i = 0; i < 3; i++)
    gen(['--start-date', `2024-06-1${i}`, '--days', '1', '--tables', tables, '--output-dir', join(dir, `d${i}`)]);
  for (const t of tables.split(',')) {
    const want = readFileSync(join(dir, 'all', `${t}.csv`), 'utf8');
    const header = want.slice(0, want.indexOf('\r\n') + 2);
    const got = header + [0, 1, 2].map((i) => csvBody(readFileSync(join(dir, `d${i}`, `${t}.csv`), 'utf8'))).join('');
    assert.ok(got === want, `${t} differs`);
    assert.ok(want.split('\r\n').length > 10, `${t} is nearly empty`);
  }
  assert.deepEqual(readdirSync(join(dir, 'all')).sort(), tables.split(',').map((t) => `${t}.csv`).sort());
});

test('QA invariants of the original hold in DuckDB over Parquet output', async () => {
  const dir = tempDir();
  const r = gen(['--start-date', '2020-01-01', '--days', '60', '--format', 'parquet', '--output-dir', dir]);
  assert.match(r.stdout, /orders\s+\d+ rows/);
  const v = Object.fromEntries(TABLES.map((t) => [t, `read_parquet('${join(dir, t + '.parquet')}')`]));
  const zero = async (what, sql) => {
    const rows = await duck(sql);
    assert.equal(Number(Object.values(rows[0])[0]), 0, what);
  };
  const pks = { customers: 'customer_id', product_catalog: 'product_id', shopping_carts: 'cart_id',
    cart_items: 'cart_item_id', orders: 'order_id', order_items: 'order_id, product_id', returns: 'return_id',
    return_items: 'return_item_id' };
  for (const [t, pk] of Object.entries(pks))
    await zero(`${t} PK unique`, `select count(*) - count(distinct (${pk})) from ${v[t]}`);
  const fks = [['shopping_carts', 'customer_id', 'customers', 'customer_id'],
    ['cart_items', 'cart_id', 'shopping_carts', 'cart_id'], ['cart_items', 'product_id', 'product_catalog', 'product_id'],
    ['orders', 'customer_id', 'customers', 'customer_id'], ['order_items', 'order_id', 'orders', 'order_id'],
    ['order_items', 'product_id', 'product_catalog', 'product_id'], ['returns', 'order_id', 'orders', 'order_id'],
    ['returns', 'customer_id', 'customers', 'customer_id'], ['return_items', 'return_id', 'returns', 'return_id'],
    ['return_items', 'order_id', 'orders', 'order_id'], ['return_items', 'product_id', 'product_catalog', 'product_id'],
    ['orders', 'cart_id', 'shopping_carts', 'cart_id']];
  for (const [c, cc, p, pc] of fks)
    await zero(`${c}.${cc} -> ${p}`, `select count(*) from ${v[c]} c anti join ${v[p]} p on c.${cc} = p.${pc}`);
  await zero('cart_total = sum of items', `select count(*) from ${v.shopping_carts} s left join
    (select cart_id, sum(quantity * unit_price) t, count(*) n from ${v.cart_items} group by 1) i using (cart_id)
    where coalesce(i.t, 0) <> s.cart_total or (s.status = 'emptied') <> (i.n is null)`);
  await zero('added_at >= created_at', `select count(*) from ${v.cart_items} i join ${v.shopping_carts} s using (cart_id)
    where i.added_at < s.created_at or s.updated_at < s.created_at`);
  await zero('one order per converted cart', `select abs((select count(*) from ${v.orders}) -
    (select count(*) from ${v.shopping_carts} where status = 'converted'))`);
  await zero('order_date = cart created_at', `select count(*) from ${v.orders} o join ${v.shopping_carts} s using (cart_id)
    where o.order_date <> s.created_at or o.customer_id <> s.customer_id or o.gross_total <> s.cart_total`);
  await zero('return after order', `select count(*) from ${v.returns} r join ${v.orders} o using (order_id)
    where r.return_date <= cast(o.order_date as date)`);
  await zero('agents', `select count(*) from ${v.orders} where (order_channel = 'Phone') <> (agent_id like 'CSR-%')
    or (order_channel <> 'Phone' and agent_id <> 'ONLINE')`);
  await zero('cost <= price', `select count(*) from ${v.order_items} where cost_price > unit_price`);
  await zero('net = gross - discount, fees >= 0', `select count(*) from ${v.orders}
    where net_total <> gross_total - total_discount_amount or payment_processing_fee < 0 or actual_shipping_cost < 0`);
  await zero('order header = lines', `select count(*) from ${v.orders} o join (select order_id, sum(quantity * unit_price) g,
    sum(discount_amount) d, sum(quantity) q from ${v.order_items} group by 1) i using (order_id)
    where i.g <> o.gross_total or i.d <> o.total_discount_amount or i.q <> o.total_items`);
  await zero('refund <= paid', `select count(*) from ${v.return_items} ri join ${v.order_items} oi using (order_id, product_id)
    where ri.refunded_amount > (oi.unit_price * oi.quantity - oi.discount_amount) or ri.quantity_returned > oi.quantity`);
  await zero('return header = items', `select count(*) from ${v.returns} r left join (select return_id, sum(refunded_amount) s
    from ${v.return_items} group by 1) i using (return_id) where i.s is null or i.s <> r.refunded_amount`);
  const [t] = await duck(`select typeof(order_date) d, typeof(gross_total) g, typeof(total_items) n from ${v.orders} limit 1`);
  assert.match(t.d, /TIMESTAMP/);
  assert.equal(t.g, 'DECIMAL(12,2)');
  assert.equal(t.n, 'INTEGER');
});

test('CSV dialect follows the original: header, CRLF at baseline, LF with messiness, True/False', () => {
  const dir = tempDir();
  gen(['--start-date', '2020-01-01', '--days', '5', '--tables', 'customers,orders', '--output-dir', join(dir, 'b')]);
  const c = readFileSync(join(dir, 'b', 'customers.csv'), 'utf8');
  assert.ok(c.startsWith('customer_id,first_name,last_name,email,phone_number,signup_date,gender,age,is_guest,'));
  assert.ok(c.includes('\r\n'));
  assert.match(c, /,True,Guest,/);
  assert.match(readFileSync(join(dir, 'b', 'orders.csv'), 'utf8'), /,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?,/);
  gen(['--start-date', '2020-01-01', '--days', '5', '--tables', 'customers', '--messiness-level', 'light_mess',
    '--output-dir', join(dir, 'l')]);
  assert.ok(!readFileSync(join(dir, 'l', 'customers.csv'), 'utf8').includes('\r\n'));
});

test('heavy_mess ground-truth log matches the files exactly', () => {
  const dir = tempDir();
  const cfg = smallConfig(dir);
  const log = join(dir, 'mess.jsonl');
  const r = gen(['--config', cfg, '--start-date', '2024-02-01', '--days', '10', '--messiness-level', 'heavy_mess',
    '--output-dir', join(dir, 'o'), '--mess-log', log]);
  const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.length > 500, `only ${events.length} faults`);
  assert.match(r.stdout, new RegExp(`injected faults\\s+${events.length}`));
  const kinds = new Set(events.map((e) => e.kind));
  for (const k of ['whitespace', 'casing', 'null', 'typo', 'numeric_corruption', 'format_variant', 'reason_bias',
    'duplicate', 'late_arrival'])
    assert.ok(kinds.has(k), `no ${k} fault`);
  const pks = { customers: ['customer_id'], product_catalog: ['product_id'], shopping_carts: ['cart_id'], cart_items: ['cart_item_id'],
    orders: ['order_id'], order_items: ['order_id', 'product_id'], returns: ['return_id'],
    return_items: ['return_item_id'] };
  const files = {};
  for (const t of Object.keys(pks)) {
    const rows = parseCsv(readFileSync(join(dir, 'o', `${t}.csv`), 'utf8'));
    const header = rows.shift();
    const idx = pks[t].map((c) => header.indexOf(c));
    const byPk = new Map();
    for (const row of rows) {
      const k = idx.map((i) => row[i]).join(',');
      if (!byPk.has(k)) byPk.set(k, []);
      byPk.get(k).push(row);
    }
    files[t] = { header, byPk };
  }
  // the last fault of a cell gives its value in the file
  const last = new Map();
  for (const e of events) if (e.kind !== 'duplicate' && e.kind !== 'late_arrival') last.set(`${e.table}|${e.pk}|${e.column}`, e);
  let checked = 0;
  for (const e of last.values()) {
    const f = files[e.table];
    const rows = f.byPk.get(e.pk);
    assert.ok(rows, `${e.table} ${e.pk} not in the file`);
    for (const row of rows) assert.equal(row[f.header.indexOf(e.column)], e.new === null ? '' : e.new, JSON.stringify(e));
    checked++;
  }
  assert.ok(checked > 500);
  assert.ok(events.some((e) => e.table === 'product_catalog'), 'no fault in product_catalog');
  for (const e of events.filter((x) => x.kind === 'duplicate'))
    assert.equal(files[e.table].byPk.get(e.pk).length, 2, `${e.table} ${e.pk} is not duplicated`);
  for (const e of events.filter((x) => x.kind === 'late_arrival')) {
    const f = files.orders;
    const row = f.byPk.get(e.pk)[0];
    assert.ok(row[f.header.indexOf('order_date')].startsWith(e.original), JSON.stringify(e));
    assert.ok(e.new > e.original);
  }
  // rows with no recorded fault on a style column keep the clean vocabulary
  const speeds = new Set(['Standard', 'Two-Day', 'Overnight']);
  const ord = files.orders;
  const si = ord.header.indexOf('shipping_speed');
  for (const [pk, rows] of ord.byPk)
    if (!last.has(`orders|${pk}|shipping_speed`)) assert.ok(speeds.has(rows[0][si]), rows[0][si]);
});

test('--artifact-root makes a timestamped run dir from SOURCE_DATE_EPOCH; two runs do not collide', () => {
  const dir = tempDir();
  const env = { SOURCE_DATE_EPOCH: '1704164645' }; // 2024-01-02T03:04:05Z
  const cfg = smallConfig(dir);
  gen(['--config', cfg, '--start-date', '2024-01-01', '--days', '1', '--artifact-root', dir, '--tables', 'orders'], env);
  gen(['--config', cfg, '--start-date', '2024-01-01', '--days', '1', '--artifact-root', dir, '--tables', 'orders'], env);
  const runs = readdirSync(dir).filter((d) => d.startsWith('raw_run_')).sort();
  assert.deepEqual(runs, ['raw_run_20240102T030405Z', 'raw_run_20240102T030405Z-2']);
  assert.deepEqual(readdirSync(join(dir, runs[0])), ['orders.csv']);
});

test('an interrupted run leaves no files behind', async () => {
  const dir = tempDir();
  const out = join(dir, 'o');
  mkdirSync(out);
  const child = eclSpawn(['run-generator', '--no-progress', '--start-date', '2020-01-01', '--days', '3000',
    '--output-dir', out]);
  await new Promise((res) => setTimeout(res, 1500));
  child.kill('SIGINT');
  const code = await new Promise((res) => child.on('exit', (c) => res(c)));
  assert.equal(code, 130);
  assert.deepEqual(readdirSync(out), []);
});

test('the shipped config is the compiled-in default', () => {
  const dir = tempDir();
  const a = gen(['--start-date', '2020-01-01', '--days', '1', '--tables', 'orders', '--output-dir', join(dir, 'a')]);
  const b = gen(['--config', join(ROOT, 'configs', 'ecom.yaml'), '--start-date', '2020-01-01', '--days', '1',
    '--tables', 'orders', '--output-dir', join(dir, 'b')]);
  assert.equal(a.stdout.match(/config (\w+)/)[1], b.stdout.match(/config (\w+)/)[1]);
  assert.equal(readFileSync(join(dir, 'a', 'orders.csv'), 'utf8'), readFileSync(join(dir, 'b', 'orders.csv'), 'utf8'));
});

test('messiness never changes column types (Parquet schemas of baseline and heavy_mess agree)', async () => {
  const dir = tempDir();
  const cfg = smallConfig(dir);
  for (const level of ['baseline', 'heavy_mess'])
    gen(['--config', cfg, '--start-date', '2024-01-01', '--days', '3', '--format', 'parquet',
      '--messiness-level', level, '--output-dir', join(dir, level)]);
  for (const t of TABLES) {
    const [a, b] = await Promise.all(['baseline', 'heavy_mess'].map((l) =>
      duck(`select column_name, column_type from (describe select * from read_parquet('${join(dir, l, t + '.parquet')}'))`)));
    assert.deepEqual(b, a, `${t} schema changed under heavy_mess`);
  }
  const [n] = await duck(`select count(*) filter (where added_at is null) n from read_parquet('${join(dir, 'heavy_mess', 'cart_items.parquet')}')`);
  assert.ok(Number(n.n) > 0);
});
