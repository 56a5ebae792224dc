// A small, honest fake of the GCS JSON API subset the sink uses, on 127.0.0.1 with an ephemeral port:
//   POST /upload/storage/v1/b/B/o?uploadType=multipart          (metadata JSON + bytes)
//   POST /upload/storage/v1/b/B/o?uploadType=resumable&name=N   -> Location: session URI
//   PUT  <session URI> with Content-Range "bytes a-b/total" (chunk) or "bytes */total" (status query)
//        -> 308 + Range: bytes=0-(n-1) while incomplete, 200 + object when complete;
//        sessions live in this process, so a status query finds a session an earlier client process
//        opened; expireSessions() makes them answer 410 like sessions older than a week
//   DELETE <session URI> cancels the session (499)
//   GET  /storage/v1/b/B/o?prefix&maxResults&pageToken, GET /storage/v1/b/B/o/N[?alt=media], DELETE
// md5Hash and crc32c given by the client are checked (400 on mismatch) and reported on objects.
// With `auth`, every call needs a live Bearer token from the fake OAuth endpoint POST /token, which
// accepts a service-account JWT (RS256, checked against the key's public half) or a refresh token and
// issues tokens living `tokenLifetime` seconds; /computeMetadata/... plays the metadata server.
import http from 'node:http';
import { createHash, createVerify, randomBytes } from 'node:crypto';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
export function crc32c(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(c);
  return b.toString('base64');
}
const md5b64 = (b) => createHash('md5').update(b).digest('base64');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFakeGcs({ buckets = ['lake'], auth = false, tokenLifetime = 60, publicKeyPem = null,
  refreshTokens = ['good-refresh-token'], delayMs = 0, chunkDelayMs = 0 } = {}) {
  const store = new Map(buckets.map((b) => [b, new Map()]));
  const sessions = new Map();
  const tokens = new Map(); // token -> expiry (ms)
  const stats = { requests: 0, refreshes: 0, jwtGrants: 0, refreshGrants: 0, metadataGrants: 0, unauthorized: 0,
    statusQueries: 0, chunks: 0, chunkBytes: 0, multipart: 0, sessions: 0, cancelled: 0, badChecksums: 0, writes: [] };
  let generation = 1;

  const send = (res, status, obj, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(obj === undefined ? '' : JSON.stringify(obj));
  };
  const gerr = (res, status, message) => send(res, status, { error: { code: status, message, errors: [{ message }] } });
  const resource = (bucket, name, o) => ({ kind: 'storage#object', bucket, name, size: String(o.data.length),
    md5Hash: o.md5Hash, crc32c: o.crc32c, generation: String(o.generation), contentType: o.contentType,
    metadata: o.metadata, updated: o.updated });

  function issue() {
    const t = 'tok-' + randomBytes(12).toString('hex');
    tokens.set(t, Date.now() + tokenLifetime * 1000);
    stats.refreshes++;
    return { access_token: t, expires_in: tokenLifetime, token_type: 'Bearer' };
  }

  function verifyJwt(assertion, aud) {
    const [h, c, s] = assertion.split('.');
    if (!h || !c || !s || !publicKeyPem) return 'malformed';
    const v = createVerify('RSA-SHA256');
    v.update(`${h}.${c}`);
    if (!v.verify(publicKeyPem, Buffer.from(s, 'base64url'))) return 'bad signature';
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    const now = Date.now() / 1000;
    if (claims.aud !== aud) return `aud ${claims.aud} is not ${aud}`;
    if (!(claims.exp > now && claims.iat <= now + 5 && claims.exp - claims.iat <= 3600)) return 'bad times';
    if (!/devstorage/.test(claims.scope)) return 'no storage scope';
    return null;
  }

  function store_(bucket, name, data, meta) {
    if (meta.md5Hash && meta.md5Hash !== md5b64(data)) { stats.badChecksums++; return 'md5Hash mismatch'; }
    if (meta.crc32c && meta.crc32c !== crc32c(data)) { stats.badChecksums++; return 'crc32c mismatch'; }
    const o = { data, md5Hash: md5b64(data), crc32c: crc32c(data), generation: generation++,
      contentType: meta.contentType || 'application/octet-stream', metadata: meta.metadata || {},
      updated: new Date().toISOString() };
    store.get(bucket).set(name, o);
    stats.writes.push(name);
    return o;
  }

  const server = http.createServer(async (req, res) => {
    stats.requests++;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const url = new URL(req.url, `http://${req.headers.host}`);
    const body = await readBody(req).catch(() => null);
    if (body === null) return;
    if (chunkDelayMs && req.method === 'PUT' && /bytes \d/.test(req.headers['content-range'] || '')) await new Promise((r) => setTimeout(r, chunkDelayMs));
    const p = url.pathname;
    // OAuth token endpoint and metadata server
    if (p === '/token' && req.method === 'POST') {
      const f = new URLSearchParams(body.toString());
      if (f.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        const why = verifyJwt(f.get('assertion') || '', `http://${req.headers.host}/token`);
        if (why) return send(res, 400, { error: 'invalid_grant', error_description: `Invalid JWT: ${why}` });
        stats.jwtGrants++;
        return send(res, 200, issue());
      }
      if (f.get('grant_type') === 'refresh_token') {
        if (!refreshTokens.includes(f.get('refresh_token'))) return send(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
        stats.refreshGrants++;
        return send(res, 200, issue());
      }
      return send(res, 400, { error: 'unsupported_grant_type' });
    }
    if (p === '/computeMetadata/v1/instance/service-accounts/default/token') {
      if (req.headers['metadata-flavor'] !== 'Google') return send(res, 403, { error: 'missing Metadata-Flavor' });
      stats.metadataGrants++;
      return send(res, 200, issue());
    }
    if (auth) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
      const exp = m && tokens.get(m[1]);
      if (!exp || exp < Date.now()) {
        stats.unauthorized++;
        return gerr(res, 401, m ? 'Invalid Credentials (token expired)' : 'Login Required');
      }
    }
    let mm;
    if ((mm = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(p))) {
      const bucket = decodeURIComponent(mm[1]);
      if (!store.has(bucket)) return gerr(res, 404, 'The specified bucket does not exist.');
      const type = url.searchParams.get('uploadType');
      if (req.method === 'POST' && type === 'multipart') {
        const ct = req.headers['content-type'] || '';
        const b = /boundary=(.+)$/.exec(ct)?.[1];
        if (!b) return gerr(res, 400, 'no boundary');
        const s = body.toString('latin1');
        const parts = s.split(`--${b}`).slice(1, -1).map((x) => x.replace(/^\r\n/, '').replace(/\r\n$/, ''));
        if (parts.length !== 2) return gerr(res, 400, 'multipart upload needs metadata and media');
        const split = (x) => { const i = x.indexOf('\r\n\r\n'); return x.slice(i + 4); };
        const meta = JSON.parse(Buffer.from(split(parts[0]), 'latin1').toString('utf8'));
        const data = Buffer.from(split(parts[1]), 'latin1');
        stats.multipart++;
        const o = store_(bucket, meta.name, data, meta);
        if (typeof o === 'string') return gerr(res, 400, `Provided ${o}`);
        return send(res, 200, resource(bucket, meta.name, o));
      }
      if (req.method === 'POST' && type === 'resumable') {
        const meta = body.length ? JSON.parse(body.toString()) : {};
        const name = url.searchParams.get('name') || meta.name;
        const id = randomBytes(10).toString('hex');
        sessions.set(id, { bucket, name, meta, data: Buffer.alloc(0), total: Number(req.headers['x-upload-content-length'] ?? -1), done: null });
        stats.sessions++;
        return send(res, 200, undefined, { location: `http://${req.headers.host}/upload/storage/v1/b/${mm[1]}/o?uploadType=resumable&upload_id=${id}` });
      }
      if (req.method === 'DELETE' && type === 'resumable') {
        const id = url.searchParams.get('upload_id') || '';
        if (!sessions.has(id)) return gerr(res, 404, 'No such upload session');
        sessions.delete(id);
        stats.cancelled++;
        return gerr(res, 499, 'Client Closed Request');
      }
      if (req.method === 'PUT' && type === 'resumable') {
        const ss = sessions.get(url.searchParams.get('upload_id') || '');
        if (!ss) return gerr(res, 404, 'No such upload session');
        if (ss.expired) return gerr(res, 410, 'The upload session has expired');
        const cr = req.headers['content-range'] || '';
        const q = /^bytes \*\/(\d+|\*)$/.exec(cr);
        const c = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
        const reply = () => {
          if (ss.done) return send(res, 200, resource(ss.bucket, ss.name, ss.done));
          const h = ss.data.length ? { range: `bytes=0-${ss.data.length - 1}` } : {};
          res.writeHead(308, h);
          return res.end();
        };
        if (q) {
          stats.statusQueries++;
          if (!ss.done && q[1] !== '*' && Number(q[1]) === 0 && ss.total === 0) {
            const o = store_(ss.bucket, ss.name, Buffer.alloc(0), ss.meta);
            if (typeof o === 'string') return gerr(res, 400, o);
            ss.done = o;
          }
          return reply();
        }
        if (!c) return gerr(res, 400, `bad Content-Range '${cr}'`);
        stats.chunks++;
        stats.chunkBytes += body.length;
        const a = Number(c[1]);
        const total = c[3] === '*' ? -1 : Number(c[3]);
        if (ss.done) return reply();
        if (a > ss.data.length) return gerr(res, 400, `chunk starts at ${a}, the session holds ${ss.data.length}`);
        if (body.length !== Number(c[2]) - a + 1) return gerr(res, 400, 'chunk length does not match Content-Range');
        const fresh = body.subarray(ss.data.length - a); // bytes already persisted are ignored
        ss.data = Buffer.concat([ss.data, fresh]);
        if (total >= 0 && ss.data.length >= total) {
          const o = store_(ss.bucket, ss.name, ss.data, ss.meta);
          if (typeof o === 'string') { sessions.delete(url.searchParams.get('upload_id')); return gerr(res, 400, `Provided ${o}`); }
          ss.done = o;
        }
        return reply();
      }
      return gerr(res, 400, 'unsupported upload');
    }
    if ((mm = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(p))) {
      const bucket = decodeURIComponent(mm[1]);
      const objs = store.get(bucket);
      if (!objs) return gerr(res, 404, 'The specified bucket does not exist.');
      if (!mm[2] && req.method === 'GET') {
        const prefix = url.searchParams.get('prefix') || '';
        const max = Math.min(1000, Number(url.searchParams.get('maxResults') || 1000));
        const after = url.searchParams.get('pageToken') ? Buffer.from(url.searchParams.get('pageToken'), 'base64').toString() : '';
        const names = [...objs.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
        const page = names.slice(0, max);
        const out = { kind: 'storage#objects', items: page.map((n) => resource(bucket, n, objs.get(n))) };
        if (names.length > max) out.nextPageToken = Buffer.from(page[page.length - 1]).toString('base64');
        stats.listPages = (stats.listPages || 0) + 1;
        return send(res, 200, out);
      }
      const name = decodeURIComponent(mm[2] || '');
      const o = objs.get(name);
      if (req.method === 'DELETE') {
        if (!o) return gerr(res, 404, 'No such object');
        objs.delete(name);
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'GET') {
        if (!o) return gerr(res, 404, `No such object: ${bucket}/${name}`);
        if (url.searchParams.get('alt') === 'media') { res.writeHead(200, { 'content-type': o.contentType }); return res.end(o.data); }
        return send(res, 200, resource(bucket, name, o));
      }
    }
    return gerr(res, 404, `not found: ${req.method} ${p}`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    host: `127.0.0.1:${port}`, endpoint: `http://127.0.0.1:${port}`, port, stats,
    tokenUri: `http://127.0.0.1:${port}/token`,
    object: (bucket, name) => store.get(bucket)?.get(name) || null,
    names: (bucket) => [...(store.get(bucket)?.keys() || [])].sort(),
    revokeAll() { tokens.clear(); },
    expireSessions() { for (const ss of sessions.values()) ss.expired = true; },
    openSessions: () => [...sessions.values()].filter((ss) => !ss.done && !ss.expired).length,
    set chunkDelayMs(ms) { chunkDelayMs = ms; },
    set tokenLifetime(s) { tokenLifetime = s; },
    set delayMs(ms) { delayMs = ms; },
    async close() { server.closeAllConnections?.(); await new Promise((r) => server.close(r)); },
  };
}
