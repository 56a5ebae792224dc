// A fake of the two AWS credential endpoints the S3 sink can use, on 127.0.0.1 with an ephemeral
// port, issuing short-lived credentials that the test S3 server (s3server.mjs addKey) accepts until
// they expire:
//   EC2 instance metadata, IMDSv2 only (IMDSv1 requests without a session token get 401); with
//   `v1Only` set it plays an old metadata service instead (token PUT 405, no token needed):
//     PUT /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds required)  -> session token
//     GET /latest/meta-data/iam/security-credentials/        -> the role name
//     GET /latest/meta-data/iam/security-credentials/<role>  -> {Code, AccessKeyId, SecretAccessKey, Token, Expiration}
//   Container credentials (ECS / EKS Pod Identity):
//     GET /container/creds with Authorization: <containerToken>  -> {AccessKeyId, SecretAccessKey, Token, Expiration}
// `acceptFor` (seconds, default: the lifetime) makes the store refuse keys before their advertised
// Expiration, as when credentials are revoked or the clocks disagree.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

export async function startFakeAwsMeta({ s3, lifetime = 60, role = 'ecl-test-role', containerToken = 'container-secret-token' } = {}) {
  const imdsTokens = new Set();
  let acceptFor = 0, v1Only = false;
  const stats = { tokenPuts: 0, roleGets: 0, credGets: 0, containerGets: 0, unauthorized: 0, issued: [] };

  function issue() {
    const accessKey = 'ASIA' + randomBytes(8).toString('hex').toUpperCase();
    const secret = randomBytes(20).toString('base64');
    const token = 'FQoG' + randomBytes(48).toString('base64');
    const expiresAt = Date.now() + lifetime * 1000;
    s3.addKey(accessKey, secret, { token, expiresAt: acceptFor ? Date.now() + acceptFor * 1000 : expiresAt });
    stats.issued.push(accessKey);
    return { AccessKeyId: accessKey, SecretAccessKey: secret, Token: token, Expiration: new Date(expiresAt).toISOString() };
  }
  const json = (res, status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
  const text = (res, status, body) => { res.writeHead(status, { 'content-type': 'text/plain' }); res.end(body); };

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const p = new URL(req.url, 'http://x').pathname;
      if (p === '/latest/api/token') {
        if (req.method !== 'PUT' || v1Only) return text(res, 405, 'Method Not Allowed');
        if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return text(res, 400, 'missing ttl');
        stats.tokenPuts++;
        const t = randomBytes(24).toString('base64');
        imdsTokens.add(t);
        return text(res, 200, t);
      }
      if (p.startsWith('/latest/meta-data/')) {
        if (!v1Only && !imdsTokens.has(req.headers['x-aws-ec2-metadata-token'])) { stats.unauthorized++; return text(res, 401, 'Unauthorized'); }
        if (p === '/latest/meta-data/iam/security-credentials/') { stats.roleGets++; return text(res, 200, role + '\n'); }
        if (p === `/latest/meta-data/iam/security-credentials/${role}`) {
          stats.credGets++;
          return json(res, 200, { Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC', ...issue() });
        }
        return text(res, 404, 'Not Found');
      }
      if (p === '/container/creds') {
        if (req.headers.authorization !== containerToken) { stats.unauthorized++; return json(res, 401, { message: 'bad authorization token' }); }
        stats.containerGets++;
        return json(res, 200, { RoleArn: `arn:aws:iam::123456789012:role/${role}`, ...issue() });
      }
      return text(res, 404, 'Not Found');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  return {
    endpoint, stats, containerUri: `${endpoint}/container/creds`,
    set lifetime(s) { lifetime = s; },
    set acceptFor(s) { acceptFor = s; },
    set v1Only(v) { v1Only = v; },
    async close() { server.closeAllConnections?.(); await new Promise((r) => server.close(r)); },
  };
}
