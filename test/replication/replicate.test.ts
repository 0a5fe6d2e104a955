// Replication on real btrfs (the source on GHOSTBRIDGE_TEST_BTRFS, the replica on a second
// loop filesystem) through the real CLI, to a local directory and over a real sshd:
// full then incremental sends arrive with identical logs, the replica verifies on its own,
// the parent is the newest block both hold, a transfer killed midway is cleaned up and
// completed by the next run, and bad targets are refused before anything runs.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionContext } from 'ava';
import { initData, openEventLog, parseSshTarget, type EventLog } from '../../storage/index.ts';
import { flowEvent } from '../storage/events.ts';
import { useBtrfs } from '../storage/btrfs-fixture.ts';
import { prerequisite } from '../support/ci.ts';
import { useReplicaFs } from './replica-fs.ts';
import { useSshd, type Sshd } from './sshd.ts';

const btrfs = useBtrfs(test);
const replicaFs = useReplicaFs(test);
const sshd = useSshd(test);

const ghostbridge = (args: string[]) => execa('bin/ghostbridge', args, { reject: false, stdin: 'ignore' });

interface Source {
  dir: string;
  log: EventLog;
  /** Appends `events` events and cuts a block. */
  block(events: number): Promise<string>;
}

async function source(t: ExecutionContext): Promise<Source | null> {
  const dir = btrfs.dataPath(t);
  if (!dir) return null;
  await initData({ dir, btrfs: true });
  const log = await openEventLog({ dir });
  t.teardown(() => log.close());
  // A replicate process killed by a test leaves its lock next to <data>.
  t.teardown(() => {
    for (const f of readdirSync(dirname(dir))) if (f.startsWith(`${basename(dir)}.replicate-`)) rmSync(join(dirname(dir), f), { force: true });
  });
  let next = 0;
  return {
    dir,
    log,
    async block(events) {
      await log.append(Array.from({ length: events }, () => flowEvent(next++)));
      const h = (await log.cutBlock())!;
      return `block-${h.index}-${h.hash.slice(0, 8)}`;
    },
  };
}

/** A new replica path on the second filesystem (created by replicate), removed after the test. */
function replicaPath(t: ExecutionContext): string | null {
  const mnt = replicaFs();
  if (!prerequisite(t, mnt !== null, 'a second btrfs loop filesystem (root, btrfs-progs)')) return null;
  const dir = join(mnt!, `replica-${process.pid}-${randomBytes(4).toString('hex')}`);
  t.teardown(async () => {
    const snaps = join(dir, '.snapshots');
    if (existsSync(snaps)) for (const n of readdirSync(snaps)) await execa('btrfs', ['subvolume', 'delete', join(snaps, n)], { reject: false });
    await execa('rm', ['-rf', dir], { reject: false });
  });
  return dir;
}

function ssh(t: ExecutionContext): Sshd | null {
  const s = sshd();
  return prerequisite(t, s !== null, 'sshd (openssh-server) started on 127.0.0.1 with generated keys') ? s : null;
}

const sshArgs = (s: Sshd, dir: string) => ['--to', s.url(dir), '--identity', s.identity, '--known-hosts', s.knownHosts];

interface LogLine {
  msg: string;
  name?: string;
  parent?: string | null;
  bytes?: number;
  subvolume?: string;
  newest?: string | null;
}

/** pino's JSON lines from a run. */
const logLines = (stdout: string): LogLine[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
const sent = (stdout: string) => logLines(stdout).filter((l) => l.msg === 'sent').map((l) => [l.name, l.parent]);

async function show(path: string): Promise<{ uuid: string; received: string; readOnly: boolean }> {
  const out = (await execa('btrfs', ['subvolume', 'show', path])).stdout;
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'm').exec(out)![1];
  return { uuid: field('UUID'), received: field('Received UUID'), readOnly: field('Flags') === 'readonly' };
}

/** Each received snapshot holds the same log as the source's, and was received from it. */
async function assertSameBlocks(t: ExecutionContext, src: string, replica: string, names: string[]) {
  t.deepEqual(readdirSync(join(replica, '.snapshots')).sort(), [...names].sort());
  for (const n of names) {
    const a = join(src, '.snapshots', n);
    const b = join(replica, '.snapshots', n);
    t.true(readFileSync(join(a, 'events.jsonl')).equals(readFileSync(join(b, 'events.jsonl'))), `${n}: same log`);
    const [from, to] = [await show(a), await show(b)];
    t.is(to.received, from.uuid, `${n}: Received UUID is the source snapshot's UUID`);
    t.true(to.readOnly);
  }
}

test.serial('over ssh: a full send, then an incremental one, arrive with identical logs; the replica verifies on its own', async (t) => {
  const src = await source(t);
  const replica = replicaPath(t);
  const s = ssh(t);
  if (!src || !replica || !s) return;
  const b0 = await src.block(3000);
  const b1 = await src.block(1000);
  const loginsBefore = s.logins();
  const first = await ghostbridge(['replicate', '--data', src.dir, ...sshArgs(s, replica), '--once']);
  t.is(first.exitCode, 0, first.stderr);
  t.is(s.logins() - loginsBefore, 1, 'one shared ssh connection carries the whole run');
  t.deepEqual(sent(first.stdout), [[b0, null], [b1, b0]]);
  await assertSameBlocks(t, src.dir, replica, [b0, b1]);

  const b2 = await src.block(500);
  const second = await ghostbridge(['replicate', '--data', src.dir, ...sshArgs(s, replica), '--once']);
  t.is(second.exitCode, 0, second.stderr);
  t.deepEqual(sent(second.stdout), [[b2, b1]]);
  const [full, incremental] = [logLines(first.stdout).find((l) => l.name === b0)!.bytes!, logLines(second.stdout).find((l) => l.name === b2)!.bytes!];
  t.true(incremental < full / 2, `the incremental stream (${incremental} B) carries the new block only, not the whole log (${full} B)`);
  await assertSameBlocks(t, src.dir, replica, [b0, b1, b2]);

  const v = await ghostbridge(['verify', '--data', replica, '--public-key', join(src.dir, 'metadata', 'signing-key.pub.pem')]);
  t.is(v.exitCode, 0, v.stderr);
  t.regex(v.stdout, /^ok: 4500 events, 3 blocks, 3 snapshots/m);

  // Nothing new: nothing sent, still exit 0.
  const again = await ghostbridge(['replicate', '--data', src.dir, ...sshArgs(s, replica), '--once']);
  t.is(again.exitCode, 0, again.stderr);
  t.deepEqual(sent(again.stdout), []);

  // The replica's copy of the headers is checked against its newest snapshot.
  writeFileSync(join(replica, 'metadata', 'blocks', '00000001.json'), '{}\n');
  const tampered = await ghostbridge(['verify', '--data', replica]);
  t.is(tampered.exitCode, 1);
  t.regex(tampered.stderr, /metadata\/blocks\/00000001\.json is not the one in block-2-/);
});

test.serial('to a local directory: blocks arrive and verify; the parent is the newest block both sides hold', async (t) => {
  const src = await source(t);
  const replica = replicaPath(t);
  if (!src || !replica) return;
  const blocks = [await src.block(800), await src.block(300), await src.block(300)];
  const first = await ghostbridge(['replicate', '--data', src.dir, '--to-dir', replica]);
  t.is(first.exitCode, 0, first.stderr);
  // A source snapshot after the first holds placeholders of the earlier ones; it verifies on its own too.
  const own = await ghostbridge(['verify', '--data', join(src.dir, '.snapshots', blocks[2])]);
  t.is(own.exitCode, 0, own.stderr);
  t.deepEqual(sent(first.stdout), [[blocks[0], null], [blocks[1], blocks[0]], [blocks[2], blocks[1]]]);

  // The replica loses block 1; block 3 is cut. The newest common block is 2, not 0:
  // block 3 goes incrementally from 2, and block 1 (older than what the replica has) is not resent.
  await execa('btrfs', ['subvolume', 'delete', join(replica, '.snapshots', blocks[1])]);
  blocks.push(await src.block(300));
  const second = await ghostbridge(['replicate', '--data', src.dir, '--to-dir', replica, '--once']);
  t.is(second.exitCode, 0, second.stderr);
  t.deepEqual(sent(second.stdout), [[blocks[3], blocks[2]]]);
  await assertSameBlocks(t, src.dir, replica, [blocks[0], blocks[2], blocks[3]]);
  const v = await ghostbridge(['verify', '--data', replica]);
  t.is(v.exitCode, 0, v.stderr);
  t.regex(v.stdout, /^ok: 1700 events, 4 blocks, 3 snapshots/m);
});

/** Pids whose command line holds all of `parts` (the test's own unique paths). */
function pidsWith(...parts: string[]): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return parts.every((part) => argv.includes(part));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Waits (bounded) until the receive into `target` has ended. */
async function receiveEnded(target: string, limitMs: number): Promise<boolean> {
  for (const end = Date.now() + limitMs; Date.now() < end; await sleep(50)) if (pidsWith('btrfs', 'receive', target).length === 0) return true;
  return false;
}

test.serial('a transfer killed midway leaves a half-received subvolume; the next run removes it and completes', async (t) => {
  const src = await source(t);
  const replica = replicaPath(t);
  const s = ssh(t);
  if (!src || !replica || !s) return;
  const b0 = await src.block(10_000);
  // zstd -19 makes the stream slow enough to be cut while it runs.
  // Its own TMPDIR: a killed run cannot remove its ssh control socket directory.
  const tmp = mkdtempSync(join(tmpdir(), 'gb-killed-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const slow = execa('bin/ghostbridge', ['replicate', '--data', src.dir, ...sshArgs(s, replica), '--level', '19'], { reject: false, detached: true, stdin: 'ignore', env: { TMPDIR: tmp } });
  const partial = join(replica, '.snapshots', b0);
  for (let i = 0; i < 600 && !existsSync(partial) && slow.exitCode === null; i++) await sleep(10);
  t.true(existsSync(partial), 'the receive had started');
  process.kill(-slow.pid!, 'SIGKILL'); // replicate, btrfs send, zstd and ssh: the whole pipeline
  const killed = await slow;
  t.is(killed.signal, 'SIGKILL', 'killed before it finished');
  t.true(await receiveEnded(join(replica, '.snapshots'), 10_000), 'the remote receive ended');
  const left = await show(partial);
  t.false(left.readOnly);
  t.is(left.received, '-', 'the cut-off subvolume is neither read-only nor received');

  const next = await ghostbridge(['replicate', '--data', src.dir, ...sshArgs(s, replica), '--once']);
  t.is(next.exitCode, 0, next.stderr);
  t.deepEqual(logLines(next.stdout).filter((l) => l.msg === 'removed a half-received subvolume').map((l) => l.subvolume), [b0]);
  t.deepEqual(sent(next.stdout), [[b0, null]]);
  await assertSameBlocks(t, src.dir, replica, [b0]);
  const v = await ghostbridge(['verify', '--data', replica]);
  t.is(v.exitCode, 0, v.stderr);
});

test.serial('a receive that fails midway is retried after a backoff: the half-received subvolume is removed and the block sent again', async (t) => {
  const src = await source(t);
  const replica = replicaPath(t);
  const s = ssh(t);
  if (!src || !replica || !s) return;
  const b0 = await src.block(10_000);
  const run = ghostbridge(['replicate', '--data', src.dir, ...sshArgs(s, replica), '--level', '19', '--retry-delay', '0.2']);
  // The remote `btrfs receive` (started by sshd for this replica) dies while the stream runs.
  const target = join(replica, '.snapshots');
  let victims: number[] = [];
  for (let i = 0; i < 600 && victims.length === 0 && run.exitCode === null; i++) {
    if (existsSync(join(target, b0))) victims = pidsWith('btrfs', 'receive', target);
    if (victims.length === 0) await sleep(10);
  }
  t.true(victims.length > 0, 'the remote receive was found running');
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  const r = await run;
  t.is(r.exitCode, 0, r.stderr);
  const lines = logLines(r.stdout);
  t.true(lines.some((l) => l.msg === 'sending a block failed; retrying'), 'the failure was logged and retried');
  t.deepEqual(lines.filter((l) => l.msg === 'removed a half-received subvolume').map((l) => l.subvolume), [b0]);
  t.deepEqual(sent(r.stdout), [[b0, null]]);
  await assertSameBlocks(t, src.dir, replica, [b0]);
});

test.serial('--follow sends each new block as it is cut, refuses a second process for the same replica, and stops on SIGTERM', async (t) => {
  const src = await source(t);
  const replica = replicaPath(t);
  if (!src || !replica) return;
  const b0 = await src.block(200);
  const follow = execa('bin/ghostbridge', ['replicate', '--data', src.dir, '--to-dir', replica, '--follow', '--interval', '0.2'], { reject: false, stdin: 'ignore' });
  t.teardown(() => follow.kill('SIGKILL'));
  let out = '';
  follow.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // A round ends with this line once the block and the metadata are there.
  const arrived = async (name: string) => {
    for (let i = 0; i < 300; i++, await sleep(50)) if (logLines(out).some((l) => l.msg === 'replica is up to date' && l.newest === name)) return true;
    return false;
  };
  t.true(await arrived(b0));
  // A second process for the same source and replica is refused while this one runs.
  const second = await ghostbridge(['replicate', '--data', src.dir, '--to-dir', replica, '--once']);
  t.is(second.exitCode, 1);
  t.regex(second.stderr, /another replicate process is sending .* to .*\.replicate-[0-9a-f]{12}\.lock/);
  const b1 = await src.block(200);
  t.true(await arrived(b1));
  const b2 = await src.block(200);
  t.true(await arrived(b2));
  follow.kill('SIGTERM');
  const r = await follow;
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(sent(r.stdout), [[b0, null], [b1, b0], [b2, b1]]);
  await assertSameBlocks(t, src.dir, replica, [b0, b1, b2]);
  const v = await ghostbridge(['verify', '--data', replica]);
  t.is(v.exitCode, 0, v.stderr);
  t.regex(v.stdout, /^ok: 600 events, 3 blocks, 3 snapshots/m);
});

test('a bad remote dir, host, user or port is refused before anything runs', async (t) => {
  const marker = `/tmp/gb-replicate-injected-${process.pid}`;
  const bad: [string, RegExp][] = [
    [`ssh://root@127.0.0.1/tmp/x;touch ${marker}`, /remote directory .* must be an absolute path/],
    [`ssh://root@127.0.0.1/tmp/$(touch ${marker})`, /remote directory/],
    ["ssh://root@127.0.0.1/tmp/it's", /remote directory/],
    ['ssh://root@127.0.0.1/tmp/../etc', /remote directory/],
    ['ssh://root@127.0.0.1/tmp/a b', /remote directory/],
    ['ssh://root@127.0.0.1', /names no remote directory/],
    [`ssh://-oProxyCommand=touch_${marker}/tmp/x`, /ssh host .* is not a host name/],
    [`ssh://-l@127.0.0.1/tmp/x`, /ssh user .* is not a plain user name/],
    ['ssh://root@127.0.0.1:99999/tmp/x', /ssh port .* is not 1\.\.65535/],
    ['ssh://root@127.0.0.1:22x/tmp/x', /ssh port/],
    ['ssh://root@host name/tmp/x', /ssh host/],
    ['http://host/tmp/x', /is not ssh:\/\/\[user@\]host/],
  ];
  for (const [url, why] of bad) {
    t.throws(() => parseSshTarget(url), { message: why }, url);
  }
  // Through the CLI: exit 1 with the reason, no process run, nothing created.
  const cli = await ghostbridge(['replicate', '--data', '/nonexistent', '--to', `ssh://root@127.0.0.1/tmp/x;touch ${marker}`, '--once']);
  t.is(cli.exitCode, 1);
  t.regex(cli.stderr, /remote directory .* must be an absolute path/);
  const local = await ghostbridge(['replicate', '--data', '/nonexistent', '--to-dir', `/tmp/gb replica ${process.pid}`]);
  t.is(local.exitCode, 1);
  t.regex(local.stderr, /replica directory .* must be an absolute path/);
  t.false(existsSync(`/tmp/gb replica ${process.pid}`));
  t.false(existsSync(marker));
  // What is accepted, and how.
  t.like(parseSshTarget('ssh://backup@replica-1.example.org:2200/srv/gb/replica'), { user: 'backup', host: 'replica-1.example.org', port: 2200, dir: '/srv/gb/replica' });
  t.like(parseSshTarget('ssh://[::1]/srv/r'), { user: null, host: '::1', port: 22 });
});

test('a replica directory that is not on btrfs is refused at once (no retries), creating nothing', async (t) => {
  const src = await source(t);
  if (!src) return;
  await src.block(10);
  const notBtrfs = join('/dev/shm', `gb-replica-${process.pid}-${randomBytes(3).toString('hex')}`, 'r');
  const r = await ghostbridge(['replicate', '--data', src.dir, '--to-dir', notBtrfs, '--retry-delay', '5']);
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /is on \S+, not btrfs/);
  t.false(r.stdout.includes('retrying'));
  t.false(existsSync(dirname(notBtrfs)));
});

test('a source on the plain directory backend is refused', async (t) => {
  const dir = join('/tmp', `gb-plain-${process.pid}-${randomBytes(3).toString('hex')}`);
  t.teardown(() => execa('rm', ['-rf', dir, `${dir}.signing-key.pem`]));
  await initData({ dir });
  const r = await ghostbridge(['replicate', '--data', dir, '--to-dir', `${dir}-replica`]);
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /directory backend: only btrfs block snapshots can be replicated/);
  t.false(existsSync(`${dir}-replica`));
});
