// ecomlake window: layout, dialect, volumes, money identities, skip rule, unknown windows and
// byte-identical regeneration, checked on the real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ecl, tempDir } from './lib/run.mjs';

const VOL = { '10': [1, 2], '12': [3, 5], '14': [1, 2], '16': [2, 3], '18': [4, 6], '20': [2, 3], '22': [2, 3] };

function readCsv(path) {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'));
  const lines = text.slice(0, -1).split('\n');
  const header = lines[0].split(';');
  return lines.slice(1).map((l) => {
    const f = l.split(';');
    assert.equal(f.length, header.length, `field count in ${path}: ${l}`);
    return Object.fromEntries(header.map((h, i) => [h, f[i]]));
  });
}

function windowDirs(root, date, tag) {
  const [y, m, d] = date.split('-');
  const base = join(root, 'csv_sales', y, m, d);
  return readdirSync(base).sort().map((u) => join(base, u, tag)).filter((p) => existsSync(p));
}

test('every window: layout, volumes, money identities, integrity, timestamps', () => {
  const root = tempDir();
  const refUnits = new Map();
  for (const h of Object.keys(VOL)) {
    const end = h === '22' ? '00:00' : `${Number(h) + 2}:00`;
    const r = ecl(['window', '--date', '2026-02-01', '--window-start', `${h}:00`, '--window-end', end,
      '--units', '12', '--seed', '5', '--output-dir', root, '--json', '--no-fsync']);
    assert.equal(r.code, 0, r.stderr);
    const tag = `window_${h}${h === '22' ? '24' : String(Number(h) + 2)}`;
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.tag, tag);
    const dirs = windowDirs(root, '2026-02-01', tag);
    assert.equal(dirs.length, 12);
    let orders = 0;
    for (const dir of dirs) {
      assert.deepEqual(readdirSync(dir).sort(), ['_MANIFEST.json', '_SUCCESS', 'item_pedido.csv', 'pedido.csv']);
      const manifest = JSON.parse(readFileSync(join(dir, '_MANIFEST.json'), 'utf8'));
      assert.equal(manifest.window, tag);
      const ped = readCsv(join(dir, 'pedido.csv'));
      const items = readCsv(join(dir, 'item_pedido.csv'));
      assert.equal(manifest.files[0].rows, ped.length);
      assert.equal(manifest.files[1].rows, items.length);
      const [lo, hi] = VOL[h];
      assert.ok(ped.length >= lo && ped.length <= hi, `${dir}: ${ped.length} orders`);
      orders += ped.length;
      const unit = Number(dir.match(/unit_(\d+)/)[1]);
      const byOrder = new Map(ped.map((o) => [o.Id_Pedido, 0]));
      for (const it of items) {
        assert.ok(byOrder.has(it.Id_Pedido), 'item references an order of the same window');
        assert.match(it.Vlr_Item, /^\d+\.\d\d$/);
        assert.ok(Number(it.Qtd) >= 1 && Number(it.Qtd) <= 3);
        assert.ok(Number(it.Id_Produto) >= 1 && Number(it.Id_Produto) <= 30);
        byOrder.set(it.Id_Pedido, byOrder.get(it.Id_Pedido) + Math.round(Number(it.Qtd) * Number(it.Vlr_Item) * 100));
      }
      for (const o of ped) {
        assert.equal(Number(o.Id_Unidade), unit);
        assert.equal(o.Data_Pedido, '2026-02-01');
        assert.match(o.Id_Pedido, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.ok(['Finalizado', 'Pendente', 'Cancelado'].includes(o.Status));
        const fee = Math.round(Number(o.Taxa_Entrega) * 100);
        if (o.Tipo_Pedido === 'Loja Online') {
          assert.ok(fee >= 500 && fee <= 2500);
          assert.ok(o.Endereco_Entrega.length > 0);
        } else {
          assert.equal(o.Tipo_Pedido, 'Loja Fisica');
          assert.equal(o.Taxa_Entrega, '0.00');
          assert.equal(o.Endereco_Entrega, '');
        }
        assert.equal(Math.round(Number(o.Vlr_Pedido) * 100), byOrder.get(o.Id_Pedido) + fee, 'Vlr_Pedido = sum(qty*price) + fee');
        const t = new Date(o.Data_Hora_Pedido);
        const start = new Date(`2026-02-01T${h}:00:00-03:00`);
        assert.ok(t >= start && t - start < 2 * 3600 * 1000, `timestamp ${o.Data_Hora_Pedido} inside ${tag}`);
      }
      refUnits.set(unit, true);
    }
    assert.equal(summary.total_orders, orders);
  }
  const units = readCsv(join(root, 'reference_data', 'unidade.csv'));
  assert.equal(units.length, 12);
  assert.equal(new Set(units.map((u) => u.Nome_Unidade)).size, 12);
  for (const u of refUnits.keys()) assert.ok(units.some((x) => Number(x.Id_Unidade) === u));
  assert.equal(readCsv(join(root, 'reference_data', 'produto.csv')).length, 30);
  assert.deepEqual(readCsv(join(root, 'reference_data', 'pais.csv')), [{ Id_Pais: '1', Nome_Pais: 'Brasil' }]);
  assert.equal(readCsv(join(root, 'reference_data', 'estado.csv')).length, 3);
});

test('regeneration is byte-identical; another seed differs', () => {
  const a = tempDir(), b = tempDir(), c = tempDir();
  const args = ['window', '--date', '2026-03-10', '--window-start', '18:00', '--window-end', '20:00', '--units', '50'];
  for (const [dir, seed] of [[a, '9'], [b, '9'], [c, '10']]) {
    const r = ecl([...args, '--seed', seed, '--output-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
  }
  // regenerate a over itself: still identical (replaces the window, no stale files)
  assert.equal(ecl([...args, '--seed', '9', '--output-dir', a]).code, 0);
  let same = 0, diff = 0;
  for (const dir of windowDirs(a, '2026-03-10', 'window_1820')) {
    for (const f of ['pedido.csv', 'item_pedido.csv', '_MANIFEST.json']) {
      const rel = dir.slice(a.length);
      const x = readFileSync(join(a, rel, f)), y = readFileSync(join(b, rel, f)), z = readFileSync(join(c, rel, f));
      assert.ok(x.equals(y), `${rel}/${f} differs between identical runs`);
      same++;
      if (f === 'pedido.csv' && !x.equals(z)) diff++;
    }
  }
  assert.equal(same, 150);
  assert.ok(diff > 40);
});

test('skip rule, unknown windows and bad input', () => {
  const root = tempDir();
  for (const [s, e] of [['08:00', '10:00'], ['03:00', '05:00'], ['11:00', '13:00'], ['00:00', '02:00']]) {
    const r = ecl(['window', '--date', '2026-02-01', '--window-start', s, '--window-end', e, '--output-dir', root, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'skipped');
    assert.match(r.stderr, /SKIP.*outside business windows/);
  }
  assert.ok(!existsSync(join(root, 'csv_sales')), 'nothing written when skipped');
  for (const [s, e] of [['12:00', '13:00'], ['22:00', '23:00'], ['12:00', '16:00']]) {
    const r = ecl(['window', '--date', '2026-02-01', '--window-start', s, '--window-end', e, '--output-dir', root]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown window/);
  }
  assert.equal(ecl(['window', '--window-start', '12:30', '--window-end', '14:00', '--output-dir', root]).code, 2);
  assert.equal(ecl(['window', '--window-start', '12:00', '--window-end', '14:00', '--date', '2026-02-30', '--output-dir', root]).code, 2);
  assert.equal(ecl(['window', '--window-start', '12:00', '--window-end', '14:00', '--timezone', 'Mars/Base', '--output-dir', root]).code, 2);
  assert.equal(ecl(['window', '--window-end', '14:00']).code, 2);
  assert.ok(!existsSync(join(root, 'csv_sales')));
  // 22:00-00:00 is the late-evening window, tagged window_2224
  const r = ecl(['window', '--date', '2026-02-01', '--window-start', '22:00', '--window-end', '00:00', '--units', '3', '--output-dir', root]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(statSync(join(root, 'csv_sales/2026/02/01/unit_001/window_2224/_SUCCESS')).isFile());
  assert.ok(!existsSync(join(root, 'csv_sales/2026/02/01/unit_001/window_2200')));
});
