// One transfer: `btrfs send [-p parent] snapshot | zstd | <receiver>`, three processes
// spawned with argument arrays. Every stage's exit status counts: if any fails (or the
// transfer is aborted), the others are killed and the transfer rejects naming the stage.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SendOptions {
  snapshot: string;
  parent: string | null;
  /** argv of the receiving side: reads the zstd stream on stdin. */
  receiver: [string, string[]];
  /** zstd compression level (1..19). */
  level: number;
  signal?: AbortSignal;
}

export interface SendResult {
  /** Compressed bytes that went to the receiver. */
  bytes: number;
}

interface Stage {
  name: string;
  child: ChildProcess;
  stderr: string;
}

function stage(name: string, cmd: string, args: string[], stdin: 'ignore' | 'pipe' | NodeJS.ReadableStream): Stage {
  const child = spawn(cmd, args, { stdio: [stdin as 'ignore', 'pipe', 'pipe'] });
  const s: Stage = { name, child, stderr: '' };
  // Keep the tail only: a failing stage's last words are what explain it.
  child.stderr!.on('data', (d: Buffer) => (s.stderr = (s.stderr + d.toString()).slice(-2000)));
  return s;
}

function exited(s: Stage): Promise<void> {
  return new Promise((resolve, reject) => {
    s.child.once('error', (err) => reject(new Error(`${s.name}: ${err.message}`)));
    s.child.once('close', (code, sig) => {
      if (code === 0) resolve();
      else reject(new Error(`${s.name} ${sig ? `was killed (${sig})` : `exited with ${code}`}${s.stderr.trim() ? `: ${s.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`));
    });
  });
}

export async function sendSnapshot(o: SendOptions): Promise<SendResult> {
  const send = stage('btrfs send', 'btrfs', ['send', '-q', ...(o.parent ? ['-p', o.parent] : []), o.snapshot], 'ignore');
  const zstd = stage('zstd', 'zstd', ['-q', '-c', `-${o.level}`], send.child.stdout!);
  // zstd has its own copy of the pipe: ours must go, or send would neither finish closing
  // nor get SIGPIPE when zstd dies.
  send.child.stdout!.destroy();
  const recv = stage('receiver', o.receiver[0], o.receiver[1], 'pipe');
  const stages = [send, zstd, recv];
  let bytes = 0;
  zstd.child.stdout!.on('data', (d: Buffer) => (bytes += d.length));
  zstd.child.stdout!.pipe(recv.child.stdin!);
  // A receiver that dies early makes our writes fail with EPIPE; its exit status reports it.
  recv.child.stdin!.on('error', () => {});
  recv.child.stdout!.resume();
  const killAll = () => {
    for (const s of stages) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  };
  o.signal?.addEventListener('abort', killAll, { once: true });
  // The first stage to fail is the cause; the others then saw a cut stream or were killed.
  let first: Error | null = null;
  try {
    await Promise.all(
      stages.map((s) =>
        exited(s).catch((err: Error) => {
          first ??= err;
          killAll();
        }),
      ),
    );
    if (o.signal?.aborted) throw new Error('transfer aborted');
    if (first) throw first;
    return { bytes };
  } finally {
    o.signal?.removeEventListener('abort', killAll);
  }
}
