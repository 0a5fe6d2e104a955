// `bin/ghostbridge run` as a real child process on a free port, and its event log read back.
import { execa, type ResultPromise } from 'execa';
import { createServer } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './harness.ts';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Child {
  proc: ResultPromise;
  output: string[];
  /** SIGTERM and wait for the exit; throws (and kills the process) if it takes over `ms`. */
  stop(ms?: number): Promise<void>;
  /** SIGKILL: no chance to clean up, like a crash. */
  kill(): Promise<void>;
}

export async function runGhostbridge(args: string[]): Promise<Child> {
  const proc = execa('bin/ghostbridge', ['run', ...args], { reject: false, all: true, timeout: 170_000, forceKillAfterDelay: 3_000 });
  const output: string[] = [];
  proc.all!.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  const child: Child = {
    proc,
    output,
    async stop(ms = 15_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); // not .killed: a SIGHUP sets it too
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
      const outcome = await Promise.race([proc, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        proc.kill('SIGKILL');
        await proc;
        throw new Error(`ghostbridge run still running ${ms} ms after SIGTERM:\n${output.join('\n')}`);
      }
    },
    async kill() {
      proc.kill('SIGKILL');
      await proc;
    },
  };
  try {
    await until(() => output.some((l) => l.includes('ghostbridge running')) || proc.exitCode !== null, 30_000, 'ghostbridge run to start');
  } catch (err) {
    await child.kill();
    throw err;
  }
  if (proc.exitCode !== null) throw new Error(`ghostbridge run exited: ${output.join('\n')}`);
  return child;
}

export interface LoggedEvent {
  seq: number;
  event: { action: string };
  ghostbridge: { flow?: { id: string }; datapath_id?: string };
  [k: string]: unknown;
}

export function readEvents(dataDir: string): LoggedEvent[] {
  const file = join(dataDir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
