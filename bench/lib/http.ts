import http from 'node:http';

/** Where requests go. Loopback only: the bench must never reach beyond this machine. */
export interface Endpoint {
  host: '127.0.0.1';
  port: number;
  path: string;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A keep-alive agent sized for the concurrency, so every worker keeps its own warm socket and
 * no connection set-up lands inside a measurement.
 */
export const keepAliveAgent = (sockets: number) =>
  new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });

/**
 * One POST with raw node:http. Headers and body are built by the caller once and reused: the
 * hot loop does no JSON encoding and no header merging, so the client spends its core on I/O.
 */
export function post(
  agent: http.Agent,
  endpoint: Endpoint,
  headers: http.OutgoingHttpHeaders,
  body: Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: endpoint.host, port: endpoint.port, path: endpoint.path, method: 'POST', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A GET for readiness checks and the like (not on the hot path). */
export function get(endpoint: Endpoint, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: endpoint.host, port: endpoint.port, path: endpoint.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}
