// A real S3-compatible server for tests: s3rver on 127.0.0.1 with an ephemeral port and a temp dir,
// plus three things s3rver lacks, written against its own on-disk state:
//  - SigV4 verification (an independent implementation: a bad secret gets SignatureDoesNotMatch),
//  - ListMultipartUploads, ListParts and AbortMultipartUpload (s3rver keeps uploads in
//    <bucket>/._S3rver_uploads/<id>/ with the key, the metadata and one file per part).
// Credentials: access key S3RVER, secret S3RVER (s3rver's built-in account), plus temporary keys
// added with addKey(accessKey, secret, {token, expiresAt}): requests signed with them must carry the
// token (x-amz-security-token) and arrive before expiresAt (else InvalidToken / ExpiredToken).
// stats.accessKeys counts the requests signed with each access key.
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');

export const S3_KEY = 'S3RVER';
export const S3_SECRET = 'S3RVER';

const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const hmac = (k, s) => createHmac('sha256', k).update(s).digest();
const xmlEsc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function s3error(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEsc(message)}</Message></Error>`;
}

// Checks the Authorization header of a SigV4 request; returns null when valid, else a reason.
export function verifySigV4(method, rawUrl, headers, secret) {
  const r = sigV4(method, rawUrl, headers, secret);
  if (typeof r === 'string') return r;
  return r.want === r.sig ? null : `signature mismatch; canonical request was:\n${r.creq}`;
}

// The Authorization header the same request would carry when signed by another key pair (so that
// s3rver, which knows only its built-in account, accepts requests signed with temporary keys).
function resignSigV4(method, rawUrl, headers, accessKey, secret) {
  const r = sigV4(method, rawUrl, headers, secret);
  return `AWS4-HMAC-SHA256 Credential=${accessKey}/${r.scope}, SignedHeaders=${r.signed}, Signature=${r.want}`;
}

function sigV4(method, rawUrl, headers, secret) {
  const auth = headers['authorization'] || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'malformed Authorization header';
  const [, , date, region, service, signed, sig] = m;
  const qi = rawUrl.indexOf('?');
  const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
  const canonUri = rawPath.split('/').map((seg) => enc(decodeURIComponent(seg))).join('/');
  const pairs = rawQuery ? rawQuery.split('&').map((p) => {
    const i = p.indexOf('=');
    const k = decodeURIComponent(i < 0 ? p : p.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(p.slice(i + 1).replace(/\+/g, '%20'));
    return [enc(k), enc(v)];
  }) : [];
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const canonQuery = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const names = signed.split(';');
  const canonHeaders = names.map((n) => `${n}:${String(headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payload = headers['x-amz-content-sha256'] || createHash('sha256').update('').digest('hex');
  const creq = [method, canonUri, canonQuery, canonHeaders, signed, payload].join('\n');
  const amzDate = headers['x-amz-date'];
  if (!amzDate) return 'no x-amz-date';
  const sts = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`,
    createHash('sha256').update(creq).digest('hex')].join('\n');
  let k = hmac('AWS4' + secret, date);
  k = hmac(k, region); k = hmac(k, service); k = hmac(k, 'aws4_request');
  const want = createHmac('sha256', k).update(sts).digest('hex');
  return { want, sig, creq, signed, scope: `${date}/${region}/${service}/aws4_request` };
}

function uploadsDir(root, bucket) { return join(root, bucket, '._S3rver_uploads'); }

function listUploads(root, bucket, prefix) {
  const d = uploadsDir(root, bucket);
  if (!existsSync(d)) return [];
  const out = [];
  for (const id of readdirSync(d)) {
    const kf = join(d, id, 'key');
    if (!existsSync(kf)) continue;
    const key = readFileSync(kf, 'utf8');
    if (!key.startsWith(prefix || '')) continue;
    out.push({ key, id, initiated: statSync(kf).mtime.toISOString() });
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  return out;
}

function extraMiddleware(app, root, stats) {
  return async (ctx, next) => {
    stats.requests++;
    stats.methods[ctx.method] = (stats.methods[ctx.method] || 0) + 1;
    if ((ctx.method === 'PUT' && !('partNumber' in ctx.query)) || (ctx.method === 'POST' && 'uploadId' in ctx.query))
      stats.writes.push(decodeURIComponent(ctx.path.split('/').slice(2).join('/')));
    if (ctx.method === 'DELETE' && !('uploadId' in ctx.query)) stats.deletes.push(decodeURIComponent(ctx.path.split('/').slice(2).join('/')));
    if (ctx.method === 'PUT' && 'partNumber' in ctx.query) stats.parts++;
    if (ctx.headers['authorization']) {
      const ak = /Credential=([^/]+)/.exec(ctx.headers['authorization'])?.[1];
      stats.accessKeys[ak] = (stats.accessKeys[ak] || 0) + 1;
      const temp = app.keys.get(ak);
      const why = verifySigV4(ctx.method, ctx.req.url, ctx.headers, temp ? temp.secret : app.secret);
      if (why) {
        stats.badSignatures++;
        if (ak !== S3_KEY && !temp) return s3error(ctx, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
        return s3error(ctx, 403, 'SignatureDoesNotMatch', why);
      }
      if (temp && temp.token !== undefined && ctx.headers['x-amz-security-token'] !== temp.token) return s3error(ctx, 403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
      if (temp && temp.expiresAt && Date.now() > temp.expiresAt) { stats.expired++; return s3error(ctx, 400, 'ExpiredToken', 'The provided token has expired.'); }
      if (temp) ctx.req.headers.authorization = resignSigV4(ctx.method, ctx.req.url, ctx.headers, S3_KEY, app.secret);
    }
    if (app.delayMs) await new Promise((r) => setTimeout(r, app.delayMs));
    const path = ctx.path.split('/').slice(1);
    const bucket = decodeURIComponent(path[0] || '');
    const key = path.slice(1).map(decodeURIComponent).join('/');
    const q = ctx.query;
    if (bucket && !key && ctx.method === 'GET' && 'uploads' in q) {
      if (!existsSync(join(root, bucket))) return s3error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      const ups = listUploads(root, bucket, q.prefix);
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${xmlEsc(bucket)}</Bucket><IsTruncated>false</IsTruncated>` +
        ups.map((u) => `<Upload><Key>${xmlEsc(u.key)}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated}</Initiated></Upload>`).join('') +
        '</ListMultipartUploadsResult>';
      stats.listUploads++;
      return;
    }
    if (bucket && !key && ctx.method === 'GET' && q['list-type'] === '2' && !('uploads' in q)) {
      // s3rver's own continuation tokens use DES, which current OpenSSL no longer offers: page here
      // over its store with our own opaque tokens.
      if (!existsSync(join(root, bucket))) return s3error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      const maxKeys = Math.min(1000, Number(q['max-keys'] ?? 1000));
      let startAfter = q['start-after'];
      if (q['continuation-token']) startAfter = Buffer.from(q['continuation-token'], 'base64').toString('utf8').replace(/^ecl:/, '');
      const res = await app.store.listObjects(bucket, { prefix: q.prefix || undefined, maxKeys, startAfter, delimiter: q.delimiter || undefined });
      const last = res.objects[res.objects.length - 1];
      const next = res.isTruncated && last ? Buffer.from('ecl:' + last.key).toString('base64') : null;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${xmlEsc(bucket)}</Name><Prefix>${xmlEsc(q.prefix || '')}</Prefix><KeyCount>${res.objects.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${res.isTruncated ? 'true' : 'false'}</IsTruncated>` +
        (next ? `<NextContinuationToken>${next}</NextContinuationToken>` : '') +
        res.objects.map((o) => `<Contents><Key>${xmlEsc(o.key)}</Key><LastModified>${o.lastModifiedDate.toISOString()}</LastModified><ETag>${xmlEsc(o.metadata.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('') +
        '</ListBucketResult>';
      stats.listPages++;
      return;
    }
    if (bucket && key && 'uploadId' in q && (ctx.method === 'GET' || ctx.method === 'DELETE')) {
      const d = join(uploadsDir(root, bucket), q.uploadId);
      if (!/^[0-9a-f]+$/.test(q.uploadId) || !existsSync(join(d, 'key'))) return s3error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist');
      if (ctx.method === 'DELETE') {
        rmSync(d, { recursive: true, force: true });
        stats.aborts++;
        ctx.status = 204;
        return;
      }
      const parts = readdirSync(d).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult><Bucket>${xmlEsc(bucket)}</Bucket><Key>${xmlEsc(key)}</Key><UploadId>${q.uploadId}</UploadId><IsTruncated>false</IsTruncated>` +
        parts.filter((n) => existsSync(join(d, `${n}.md5`))).map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>"${readFileSync(join(d, `${n}.md5`), 'utf8')}"</ETag><Size>${statSync(join(d, String(n))).size}</Size></Part>`).join('') +
        '</ListPartsResult>';
      stats.listParts++;
      return;
    }
    await next();
  };
}

// Starts a server; returns {endpoint, port, dir, stats, close()}.
export async function startS3({ buckets = ['lake'], secret = S3_SECRET } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-s3-'));
  const app = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir,
    configureBuckets: buckets.map((name) => ({ name })) });
  app.secret = secret;
  app.keys = new Map();
  app.delayMs = 0;
  const stats = { requests: 0, methods: {}, badSignatures: 0, listUploads: 0, listParts: 0, aborts: 0, writes: [], deletes: [], parts: 0, listPages: 0, accessKeys: {}, expired: 0 };
  app.middleware.unshift(extraMiddleware(app, dir, stats));
  const addr = await app.run();
  return {
    endpoint: `http://127.0.0.1:${addr.port}`, port: addr.port, dir, stats, app,
    uploads: (bucket, prefix = '') => listUploads(dir, bucket, prefix),
    // the stored bytes and metadata of an object, or null
    object(bucket, key) {
      const parts = key.split('/');
      const last = parts.pop();
      const base = join(dir, bucket, ...parts);
      const f = join(base, `${last}._S3rver_object`);
      if (!existsSync(f)) return null;
      const mf = join(base, `${last}._S3rver_metadata.json`);
      return { data: readFileSync(f), meta: existsSync(mf) ? JSON.parse(readFileSync(mf, 'utf8')) : {} };
    },
    resetStats() { Object.assign(stats, { requests: 0, methods: {}, badSignatures: 0, listUploads: 0, listParts: 0, aborts: 0, writes: [], deletes: [], parts: 0, listPages: 0, accessKeys: {}, expired: 0 }); },
    addKey(accessKey, keySecret, { token, expiresAt } = {}) { app.keys.set(accessKey, { secret: keySecret, token, expiresAt }); },
    set delayMs(ms) { app.delayMs = ms; },
    async close() { await app.close(); if (!process.env.KEEP_TMP) rmSync(dir, { recursive: true, force: true }); },
  };
}
