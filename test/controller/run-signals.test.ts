// `ghostbridge run` as a real process, configured, stopped and signalled the way an operator
// does it, with a switch (the scripted fake switch over real TCP) connected.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, readEvents, runGhostbridge, type LoggedEvent } from './child.ts';
import { FakeSwitch } from './fake-switch.ts';
import { until } from './harness.ts';
import { ipv4, tcp } from './frames.ts';
import { useBtrfs } from '../storage/btrfs-fixture.ts';
import { createVectorizer, keyId, modelDirOf } from '../../pipeline/index.ts';
import { defaultKeyPath, layout, listHeaderFiles, readHeader } from '../../storage/index.ts';

const btrfs = useBtrfs(test);
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

/** Once the switch is up: n TCP flows from A to B (each a new source port), n flow.start events. */
async function flows(data: string, sw: FakeSwitch, n: number, firstPort = 40000): Promise<void> {
  await until(() => readEvents(data).some((e) => e.event.action === 'switch.up'), 20_000, 'switch.up to be logged');
  sw.packetIn(2, ipv4({ src: B, dst: A }, '10.0.0.2', '10.0.0.1', 6, tcp(443, firstPort - 1))); // floods; teaches B's port
  for (let i = 0; i < n; i++) sw.packetIn(1, ipv4({ src: A, dst: B }, '10.0.0.1', '10.0.0.2', 6, tcp(firstPort + i, 443)));
}

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

test('--block-events cuts signed blocks (headers name the model), --keep-snapshots bounds the btrfs snapshots, verify passes', async (t) => {
  const data = await btrfs.initialised(t);
  if (!data) return;
  const port = await freePort();
  const index = join(tempData(t), 'index'); // beside the btrfs data, it would outlive the test
  const child = await runGhostbridge(['--data', data, '--index', index, '--listen', `tcp:127.0.0.1:${port}`, '--api', 'off', '--privacy', 'drop', '--stats-interval', '0', '--block-events', '3', '--keep-snapshots', '2']);
  t.teardown(() => child.kill().catch(() => {}));
  const sw = await FakeSwitch.connect(port, { datapathId: 0x52n });
  t.teardown(() => sw.socket.destroy());
  // Three rounds of 4 flows, each logged before the next: a cut after each (one batch
  // larger than --block-events is still one block).
  for (let round = 0; round < 3; round++) {
    await flows(data, sw, 4, 40000 + 10 * round);
    await until(() => readEvents(data).length >= 5 + 4 * round && listHeaderFiles(layout(data).blocks).length > round, 30_000, `round ${round} logged and cut`);
  }
  const blocks = layout(data).blocks;
  t.is(listHeaderFiles(blocks).length, 3);
  const headers = listHeaderFiles(blocks).map((f) => readHeader(f.path));
  t.true(headers.every((h) => h.lastSeq - h.firstSeq + 1 >= 3), 'no block is cut before 3 events');
  await until(() => readdirSync(layout(data).snapshots).length === 2, 10_000, 'the oldest of 3 snapshots to be deleted');
  await child.stop();
  t.is((await child.proc).exitCode, 0, child.output.join('\n'));
  const vectorizer = await createVectorizer({ modelDir: modelDirOf(data), log: () => {} });
  await vectorizer.close();
  t.true(headers.every((h) => h.model === vectorizer.modelId), 'every header names the model the vectors come from');
  const v = await verifyExit(data);
  t.is(v.exitCode, 0, v.all);
});

test('the event log failing (its signing key gone when a block is due) stops run with exit 1 and says why', async (t) => {
  const data = tempData(t);
  const port = await freePort();
  const child = await runGhostbridge(['--data', data, '--listen', `tcp:127.0.0.1:${port}`, '--api', 'off', '--privacy', 'drop', '--vectorize', 'false', '--stats-interval', '0', '--block-events', '2']);
  t.teardown(() => child.kill().catch(() => {}));
  rmSync(defaultKeyPath(data)); // read at the first cut
  const sw = await FakeSwitch.connect(port, { datapathId: 0x53n });
  t.teardown(() => sw.socket.destroy());
  await flows(data, sw, 3);
  await until(() => child.proc.exitCode !== null, 20_000, 'run to stop after the failed cut');
  t.is((await child.proc).exitCode, 1);
  t.true(child.output.some((l) => l.includes('event log failed; stopping') && l.includes('signing key')), child.output.join('\n'));
  t.false(existsSync(join(data, '.lock')), 'the writer lock is released');
});

test('SIGHUP re-reads the key file: events after it carry the new key id; an unreadable key file keeps the old key and run going', async (t) => {
  const data = tempData(t);
  const keyFile = `${data}.pseudonym.key`;
  const oldKey = new Uint8Array(32).fill(1);
  const newKey = new Uint8Array(32).fill(2);
  writeFileSync(keyFile, Buffer.from(oldKey).toString('hex'), { mode: 0o600 });
  const port = await freePort();
  const child = await runGhostbridge(['--data', data, '--key-file', keyFile, '--listen', `tcp:127.0.0.1:${port}`, '--api', 'off', '--vectorize', 'false', '--stats-interval', '0']);
  t.teardown(() => child.kill().catch(() => {}));
  const sw = await FakeSwitch.connect(port, { datapathId: 0x54n });
  t.teardown(() => sw.socket.destroy());
  await flows(data, sw, 2, 41000);
  await until(() => readEvents(data).filter((e) => e.event.action === 'flow.start').length >= 2, 20_000, 'the first flows to be logged');
  const before = readEvents(data).length;
  const keyIdOf = (e: LoggedEvent) => (e.ghostbridge as { privacy?: { key_id?: string } }).privacy?.key_id;
  t.true(readEvents(data).every((e) => keyIdOf(e) === keyId(oldKey)));

  writeFileSync(keyFile, 'not a key\n');
  child.proc.kill('SIGHUP');
  await until(() => child.output.some((l) => l.includes('SIGHUP: key not rotated')), 10_000, 'the bad key file to be reported');
  writeFileSync(keyFile, Buffer.from(newKey).toString('hex'));
  child.proc.kill('SIGHUP');
  await until(() => child.output.some((l) => l.includes(`key_id ${keyId(newKey)}`)), 10_000, 'the rotation to be logged');
  await flows(data, sw, 2, 42000);
  await until(() => readEvents(data).filter((e) => e.event.action === 'flow.start').length >= 4, 20_000, 'the later flows to be logged');
  const after = readEvents(data).slice(before);
  t.true(after.length >= 2);
  t.true(after.every((e) => keyIdOf(e) === keyId(newKey)), JSON.stringify(after.map(keyIdOf)));
  t.not(keyId(newKey), keyId(oldKey));
  await child.stop();
  t.is((await child.proc).exitCode, 0);
});
