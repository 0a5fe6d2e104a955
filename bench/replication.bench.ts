// Replication benchmark: a full send of a large block and an incremental send of a small
// one, to a local directory and over ssh (a real sshd on 127.0.0.1), plus the cost of a run
// with nothing to send. The source and the replica are two loop btrfs filesystems under
// /var/tmp (root), so nothing is shared between them, as with a real replica.
import pino from 'pino';
import { initData, openEventLog, replicateOnce, localTarget, parseSshTarget, type ReplicaTarget } from '../storage/index.ts';
import { flowEvent } from '../test/storage/events.ts';
import { mountLoopBtrfs } from '../test/replication/replica-fs.ts';
import { startSshd } from '../test/replication/sshd.ts';
import { join } from 'node:path';
import { statSync } from 'node:fs';

const BIG = Number(process.env.GB_BENCH_REPLICATION_EVENTS ?? 300_000);
const SMALL = 2_000;
const logger = pino({ level: 'silent' });

const src = await mountLoopBtrfs('4G', '/var/tmp');
const dst = await mountLoopBtrfs('4G', '/var/tmp');
const ssh = await startSshd();
try {
  if (!src.mnt || !dst.mnt || !ssh.sshd) throw new Error('needs root, btrfs-progs and sshd');
  const data = join(src.mnt, 'data');
  await initData({ dir: data, btrfs: true });
  const log = await openEventLog({ dir: data });
  for (let i = 0; i < BIG; i += 10_000) await log.append(Array.from({ length: Math.min(10_000, BIG - i) }, (_, j) => flowEvent(i + j)));
  await log.cutBlock();
  const logBytes = statSync(join(data, 'events.jsonl')).size;

  const targets: [string, ReplicaTarget][] = [
    ['local', localTarget(join(dst.mnt, 'local'))],
    ['ssh', parseSshTarget(ssh.sshd.url(join(dst.mnt, 'ssh')), { identity: ssh.sshd.identity, knownHosts: ssh.sshd.knownHosts })],
  ];
  const rows: string[][] = [];
  const timed = async (what: string, name: string, target: ReplicaTarget) => {
    const t0 = performance.now();
    const r = await replicateOnce({ data, target, logger });
    const s = (performance.now() - t0) / 1000;
    const bytes = r.sent.reduce((n, b) => n + b.bytes, 0);
    rows.push([name, what, String(r.sent.length), (bytes / 1e6).toFixed(2), s.toFixed(2)]);
    return s;
  };
  for (const [name, target] of targets) await timed(`full: block 0, ${BIG} events, ${(logBytes / 1e6).toFixed(0)} MB of log`, name, target);
  await log.append(Array.from({ length: SMALL }, (_, j) => flowEvent(BIG + j)));
  await log.cutBlock();
  for (const [name, target] of targets) await timed(`incremental: block 1, ${SMALL} events`, name, target);
  for (const [name, target] of targets) await timed('nothing new', name, target);
  await log.close();

  console.log(`log: ${BIG + SMALL} events, ${(logBytes / 1e6).toFixed(1)} MB before block 1; zstd -3`);
  const head = ['target', 'run', 'blocks sent', 'MB sent (zstd)', 'seconds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
} finally {
  await ssh.stop();
  await src.remove();
  await dst.remove();
}
