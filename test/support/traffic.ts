// Real traffic between namespaced hosts: a TCP transfer driven by tcp-peer.ts on both ends.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import type { Host } from './ovs.ts';

const peer = fileURLToPath(new URL('./tcp-peer.ts', import.meta.url));

export interface TransferResult {
  sentBytes: number;
  receivedBytes: number;
  sentSha256: string;
  receivedSha256: string;
  /** Epoch ms of the first byte received. */
  start: number;
  /** [ms after first byte, bytes received in that 100 ms slot]. */
  arrivals: [number, number][];
}

export interface Transfer {
  /** Resolves when both ends have finished. */
  done: Promise<TransferResult>;
  kill(): void;
}

/** Starts a TCP transfer of `bytes` from `from` to `to`; `rate` in bytes/s slows it down. */
export async function startTransfer(from: Host, to: Host, bytes: number, opts: { port?: number; rate?: number; timeoutMs?: number } = {}): Promise<Transfer> {
  const port = opts.port ?? 5001;
  const timeout = opts.timeoutMs ?? 60_000;
  const server = execa('ip', ['netns', 'exec', to.ns, process.execPath, peer, 'server', String(port)], { timeout, buffer: true });
  // Wait for the server to listen (bounded by the timeout above).
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    server.catch(reject);
  });
  const client = execa('ip', ['netns', 'exec', from.ns, process.execPath, peer, 'client', to.ip, String(port), String(bytes), String(opts.rate ?? 0)], { timeout });
  const done = Promise.all([client, server]).then(([c, s]) => {
    const sent = JSON.parse(c.stdout.trim());
    const got = JSON.parse(s.stdout.split('\n').filter((l) => l.startsWith('{')).pop()!);
    return { sentBytes: sent.bytes, receivedBytes: got.bytes, sentSha256: sent.sha256, receivedSha256: got.sha256, start: got.start, arrivals: got.arrivals };
  });
  return {
    done,
    kill: () => {
      client.kill();
      server.kill();
    },
  };
}
