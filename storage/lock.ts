// One writer per <data>: a lock file created with O_EXCL that names its owner (pid and
// the process's start time, so a recycled pid does not look alive). A lock left by a
// process that died (SIGKILL, power loss) is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export class LockedError extends Error {
  constructor(path: string, owner: string) {
    super(`another writer holds ${path} (pid ${owner}); only one process may write a log`);
    this.name = 'LockedError';
  }
}

function startTime(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count
    // from the closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function ownerAlive(content: string): boolean {
  const [pid, started] = content.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  return startTime(n) === started;
}

export interface Lock {
  release(): void;
}

export function acquireLock(path: string): Lock {
  const me = `${process.pid} ${startTime(process.pid)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, me);
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8') === me) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let content = '';
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      continue; // released between our two calls
    }
    if (ownerAlive(content)) throw new LockedError(path, content.trim().split(' ')[0]);
    try {
      unlinkSync(path); // stale: its owner is gone
    } catch {
      // someone else removed it first
    }
  }
  throw new LockedError(path, 'unknown');
}
