// A real sshd on 127.0.0.1 (a free port), with host and client keys generated here, as
// TESTBED.md describes; the known_hosts file pins its host key. Stopped in after.always.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestFn } from 'ava';

export interface Sshd {
  port: number;
  identity: string;
  knownHosts: string;
  /** ssh://root@127.0.0.1:<port><dir> */
  url(dir: string): string;
  /** Connections authenticated so far (sshd's log). */
  logins(): number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

export interface RunningSshd {
  sshd: Sshd | null;
  stop(): Promise<void>;
}

/** Starts sshd -D with keys made in a new temp dir; `sshd` is null when it could not start. */
export async function startSshd(): Promise<RunningSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'gb-sshd-'));
  let proc: ResultPromise | null = null;
  const stop = async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await proc;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const keygen = (name: string) => execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)], { reject: false });
  if ((await keygen('hostkey')).exitCode !== 0 || (await keygen('clientkey')).exitCode !== 0) return { sshd: null, stop };
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/hostkey`, `AuthorizedKeysFile ${dir}/clientkey.pub`, 'PasswordAuthentication no',
      'PermitRootLogin prohibit-password', `PidFile ${dir}/sshd.pid`, 'StrictModes no', 'UsePAM no'].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'hostkey.pub'), 'utf8')}`);
  mkdirSync('/run/sshd', { recursive: true });
  proc = execa('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { reject: false, stdin: 'ignore' });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const logins = () => log.split('\n').filter((l) => l.includes('Accepted publickey')).length;
  for (let i = 0; i < 100 && proc.exitCode === null; i++) {
    if (await accepts(port)) {
      return { sshd: { port, identity: join(dir, 'clientkey'), knownHosts: join(dir, 'known_hosts'), url: (d) => `ssh://root@127.0.0.1:${port}${d}`, logins }, stop };
    }
    await sleep(50);
  }
  return { sshd: null, stop };
}

/** One sshd for the whole test file; the getter gives it, or null when it could not start. */
export function useSshd(test: TestFn): () => Sshd | null {
  let running: RunningSshd | null = null;
  test.before(async () => {
    running = await startSshd();
  });
  test.after.always(() => running?.stop());
  return () => running?.sshd ?? null;
}
