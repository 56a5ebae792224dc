// Warehouse helpers for end-to-end tests of ingest and build: one query interface over a SQLite file
// (sqlite3 CLI) and a PostgreSQL database (psql), both returning rows as arrays of strings.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function sqliteWarehouse(dir, name = 'wh.db') {
  const path = join(dir, name);
  return {
    kind: 'sqlite',
    url: `sqlite:${path}`,
    query(sql) {
      const r = spawnSync('sqlite3', ['-batch', '-noheader', '-separator', '|', path, sql], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
      return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('|'));
    },
  };
}

export function pgWarehouse(pg, db) {
  const url = pg.createDb(db);
  return {
    kind: 'postgres',
    url,
    query(sql) {
      const out = pg.psql(url, sql);
      return out === '' ? [] : out.split('\n').map((l) => l.split('|'));
    },
  };
}

export function scalar(wh, sql) {
  return Number(wh.query(sql)[0][0]);
}
