// A fault-injecting proxy between the tool and a test server, on 127.0.0.1 with an ephemeral port.
// Requests pass through unchanged unless a rule matches; rules are consulted in order:
//   { match: (req) => bool, action: 'reset', times }     reads a random number of the request's
//        bytes (headers and part of the body), then resets the TCP connection (RST)
//   { match, action: 'status', status: 503, retryAfter: '1', body, times }   answers itself
//   { match, action: 'hang', times }                     never answers, keeps the connection open
//   { match, action: 'etag', etag: '"..."' | (old) => new, times }   passes the request on and
//        rewrites the ETag header of the answer (a store or gateway reporting other bytes)
// `times` limits how often a rule fires (default: always). Rules can be swapped at any time.
import http from 'node:http';
import net from 'node:net';

export async function startProxy(upstream, { seed = 1 } = {}) {
  const up = new URL(upstream);
  const state = { rules: [], stats: { requests: 0, resets: 0, statuses: 0, hangs: 0, passed: 0, log: [] } };
  const hung = new Set();
  let rnd = seed >>> 0 || 1;
  const random = () => { rnd ^= rnd << 13; rnd >>>= 0; rnd ^= rnd >> 17; rnd ^= rnd << 5; rnd >>>= 0; return rnd / 4294967296; };

  const server = http.createServer((req, res) => {
    state.stats.requests++;
    const rule = state.rules.find((r) => (r.times === undefined || r.times > 0) && r.match(req));
    if (rule && rule.times !== undefined) rule.times--;
    const action = rule ? rule.action : 'pass';
    state.stats.log.push(`${action} ${req.method} ${req.url}`);
    if (action === 'reset') {
      state.stats.resets++;
      const len = Number(req.headers['content-length'] || 0);
      const cut = Math.floor(random() * Math.max(1, len)); // a random byte offset inside the body
      let got = 0;
      const kill = () => { req.socket.resetAndDestroy(); };
      if (cut === 0) return kill();
      req.on('data', (d) => { got += d.length; if (got >= cut) { req.pause(); kill(); } });
      req.on('end', kill);
      return;
    }
    if (action === 'hang') {
      state.stats.hangs++;
      hung.add(req.socket);
      req.resume();
      return;
    }
    if (action === 'status') {
      state.stats.statuses++;
      req.resume();
      req.on('end', () => {
        const headers = { 'content-type': 'application/xml' };
        if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
        res.writeHead(rule.status, headers);
        res.end(rule.body ?? `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${rule.code || (rule.status === 503 ? 'SlowDown' : rule.status === 429 ? 'TooManyRequests' : 'InternalError')}</Code><Message>injected</Message></Error>`);
      });
      return;
    }
    state.stats.passed++;
    const p = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (pr) => {
      if (action === 'etag') {
        state.stats.etags = (state.stats.etags || 0) + 1;
        pr.headers.etag = typeof rule.etag === 'function' ? rule.etag(pr.headers.etag) : rule.etag;
      }
      res.writeHead(pr.statusCode, pr.headers);
      pr.pipe(res);
    });
    p.on('error', () => req.socket.destroy());
    req.pipe(p);
  });
  server.keepAliveTimeout = 30000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: state.stats,
    set rules(r) { state.rules = r; },
    get rules() { return state.rules; },
    async close() {
      for (const s of hung) s.destroy();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}

// A port with nothing listening (for "unreachable endpoint" tests).
export async function deadPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

// Request matchers for S3 traffic.
export const isPart = (req) => req.method === 'PUT' && /[?&]partNumber=/.test(req.url);
export const isObjectPut = (req) => req.method === 'PUT' && !/[?&]partNumber=/.test(req.url);
export const keyIs = (re) => (req) => re.test(decodeURIComponent(req.url.split('?')[0]));
