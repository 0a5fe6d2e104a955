// Listeners: `tcp:HOST:PORT` and `ssl:HOST:PORT` (mutual TLS: the switch must present a
// certificate signed by our CA). HOST may be an IPv6 address in brackets, "[::1]".
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';

export interface ListenSpec {
  protocol: 'tcp' | 'ssl';
  host: string;
  port: number;
}

export interface TlsFiles {
  key: Buffer | string;
  cert: Buffer | string;
  ca: Buffer | string;
}

const SPEC_RE = /^(tcp|ssl):(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/;

/** Parses "tcp:127.0.0.1:6653", "ssl:[::1]:6653"; throws a clear error otherwise. */
export function parseListen(text: string): ListenSpec {
  const m = SPEC_RE.exec(text);
  const port = m ? Number(m[4]) : NaN;
  if (!m || port > 65535) throw new Error(`bad listen address ${JSON.stringify(text)}: expected tcp:HOST:PORT or ssl:HOST:PORT (IPv6 as [ADDR])`);
  return { protocol: m[1] as 'tcp' | 'ssl', host: m[2] ?? m[3], port };
}

export function formatListen(spec: ListenSpec): string {
  return `${spec.protocol}:${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
}

/**
 * Starts a listener and hands each connection (TLS: each handshaken connection) to
 * `accept`. Resolves once listening, with the port actually bound (for port 0).
 */
export async function listen(spec: ListenSpec, tls: TlsFiles | undefined, log: Logger, accept: (socket: Socket | TLSSocket) => void): Promise<{ server: Server; spec: ListenSpec }> {
  let server: Server;
  if (spec.protocol === 'ssl') {
    if (!tls) throw new Error(`${formatListen(spec)} needs --tls-key, --tls-cert and --tls-ca`);
    server = createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, accept);
    // A plain-TCP client, a bad certificate, a reset mid-handshake: that one connection
    // fails and the listener carries on.
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      log.warn({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed');
      socket.destroy();
    });
  } else {
    server = createTcpServer({ noDelay: true }, accept);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, spec.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err: err.message, listen: formatListen(spec) }, 'listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : spec.port;
  log.info({ listen: formatListen({ ...spec, port }) }, 'listening');
  return { server, spec: { ...spec, port } };
}
