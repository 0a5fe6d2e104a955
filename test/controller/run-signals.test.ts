// `ghostbridge run` as a real process, stopped and signalled the way an operator does it,
// with a switch (the scripted fake switch over real TCP) still connected.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, readEvents, runGhostbridge } from './child.ts';
import { FakeSwitch } from './fake-switch.ts';
import { until } from './harness.ts';

function tempData(t: { teardown(f: () => void): void }): string {
  const base = mkdtempSync(join(tmpdir(), 'gb-run-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  return join(base, 'data');
}

async function verifyExit(data: string): Promise<{ exitCode?: number; all?: string }> {
  return execa('bin/ghostbridge', ['verify', '--data', data], { reject: false, all: true, timeout: 60_000 });
}

test('SIGTERM with a switch connected: run closes the session, logs switch.down, exits 0 promptly and leaves a log that verifies', async (t) => {
  const data = tempData(t);
  const port = await freePort();
  const child = await runGhostbridge(['--data', data, '--listen', `tcp:127.0.0.1:${port}`, '--api', 'off', '--privacy', 'drop', '--vectorize', 'false', '--stats-interval', '0']);
  t.teardown(() => child.kill().catch(() => {}));
  const sw = await FakeSwitch.connect(port, { datapathId: 0x51n });
  t.teardown(() => sw.socket.destroy());
  await until(() => readEvents(data).some((e) => e.event.action === 'switch.up'), 20_000, 'switch.up to be logged');
  await child.stop(10_000); // throws if run is still there 10 s after SIGTERM
  t.is((await child.proc).exitCode, 0, child.output.join('\n'));
  await sw.waitClosed();
  const last = readEvents(data).at(-1)!;
  t.like(last, { event: { action: 'switch.down', reason: 'controller stopping' } });
  t.false(existsSync(join(data, '.lock')), 'the writer lock is released');
  const v = await verifyExit(data);
  t.is(v.exitCode, 0, v.all);
});
