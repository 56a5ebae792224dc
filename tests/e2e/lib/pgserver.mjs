// A throwaway PostgreSQL server for end-to-end tests: initdb + pg_ctl from the distribution's
// binaries on a temp directory, listening on 127.0.0.1 with an ephemeral port and a unix socket
// inside the temp directory. initdb refuses to run as root, so as root the server runs as the
// packaged `postgres` user (runuser). Usage:
//   const pg = await startPg();            // null when the binaries are missing (pgSkipReason says why)
//   const url = pg.createDb('t1');         // postgresql://postgres@127.0.0.1:PORT/t1
//   pg.psql(url, 'select 1')               // -At output as a string (throws on SQL errors)
//   pg.stop();
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, chownSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findBin() {
  const candidates = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    for (const v of readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)))
      candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch { /* no distribution packages */ }
  return candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
}

export function pgSkipReason() {
  if (!findBin()) return 'PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql';
  if (spawnSync('psql', ['--version']).status !== 0) return 'psql not found: install postgresql-client';
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd, args, isRoot) {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPg() {
  if (pgSkipReason()) return null;
  const bin = findBin();
  const isRoot = process.getuid && process.getuid() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'ecl-pg-'));
  if (isRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const run = (cmd, args) => {
    const [c, a] = asPostgres(join(bin, cmd), args, isRoot);
    const r = spawnSync(c, a, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  let port;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`;
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      break;
    } catch (err) {
      // another process may have taken the port between the probe and the bind
      if (attempt >= 3) {
        let log = '';
        try { log = readFileSync(join(dir, 'server.log'), 'utf8'); } catch { /* none */ }
        throw new Error(`${err.message}\n${log}`);
      }
    }
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try { run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); } catch { /* already down */ }
    if (!process.env.KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const base = `postgresql://postgres@127.0.0.1:${port}`;
  const psql = (url, sql) => {
    const r = spawnSync('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const createDb = (name) => {
    psql(`${base}/postgres`, `CREATE DATABASE "${name}"`);
    return `${base}/${name}`;
  };
  return { port, dir, base, url: `${base}/postgres`, psql, createDb, stop };
}
