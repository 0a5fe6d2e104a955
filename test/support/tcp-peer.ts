// One end of a TCP transfer, run inside a network namespace by test/support/traffic.ts.
//   server PORT                      accept one connection, print {bytes, sha256, arrivals}
//   client HOST PORT BYTES [RATE]    send BYTES of pseudo-random data (RATE bytes/s if given)
// `arrivals` lists [ms since first byte, bytes] per 100 ms, so a test can see stalls.
import { createServer, connect } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'server') {
  const server = createServer((sock) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let first = 0;
    const buckets = new Map<number, number>();
    sock.on('data', (chunk: Buffer) => {
      const now = Date.now();
      if (!first) first = now;
      const slot = Math.floor((now - first) / 100) * 100;
      buckets.set(slot, (buckets.get(slot) ?? 0) + chunk.length);
      bytes += chunk.length;
      hash.update(chunk);
    });
    sock.on('end', () => {
      process.stdout.write(JSON.stringify({ bytes, sha256: hash.digest('hex'), start: first, arrivals: [...buckets] }) + '\n');
      sock.end();
      server.close();
    });
  });
  server.listen(Number(args[0]), '0.0.0.0', () => process.stdout.write('listening\n'));
} else if (mode === 'client') {
  const [host, port, total, rate] = [args[0], Number(args[1]), Number(args[2]), Number(args[3] ?? 0)];
  const hash = createHash('sha256');
  const chunkSize = 64 * 1024;
  const sock = connect(port, host);
  let sent = 0;
  const started = Date.now();
  const pump = () => {
    while (sent < total) {
      if (rate > 0 && sent > ((Date.now() - started) / 1000) * rate) {
        setTimeout(pump, 10);
        return;
      }
      const chunk = randomBytes(Math.min(chunkSize, total - sent));
      hash.update(chunk);
      sent += chunk.length;
      if (!sock.write(chunk)) {
        sock.once('drain', pump);
        return;
      }
    }
    sock.end();
  };
  sock.on('connect', pump);
  sock.on('close', () => process.stdout.write(JSON.stringify({ bytes: sent, sha256: hash.digest('hex') }) + '\n'));
  sock.on('error', (err) => {
    process.stderr.write(String(err) + '\n');
    process.exitCode = 1;
  });
} else {
  process.stderr.write('usage: tcp-peer server PORT | client HOST PORT BYTES [RATE]\n');
  process.exitCode = 2;
}
