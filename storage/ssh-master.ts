// One ssh connection shared by a replication run's commands (OpenSSH connection sharing):
// each command then costs a channel on it instead of a new connection, key exchange and
// authentication. The master is our child process, ended when the run ends; if it cannot
// start or dies, the commands connect by themselves (ControlMaster=no falls back).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sshOptions, type SshTarget } from './replica-target.ts';

export async function withSshMaster<T>(target: SshTarget, fn: (shared: SshTarget) => Promise<T>): Promise<T> {
  // A short private directory: socket paths are limited to 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'gb-ssh-'));
  const controlPath = join(dir, 'master');
  const master = spawn('ssh', ['-M', '-N', '-o', 'ControlPersist=no', ...sshOptions(target), '-S', controlPath, '--', target.host], { stdio: 'ignore' });
  master.on('error', () => {});
  try {
    // Up to ConnectTimeout; commands started before it is up just connect by themselves.
    for (let i = 0; i < 200 && master.exitCode === null && !existsSync(controlPath); i++) await sleep(25);
    return await fn({ ...target, controlPath });
  } finally {
    if (master.exitCode === null && master.signalCode === null) {
      const gone = new Promise((resolve) => master.once('exit', resolve));
      master.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
