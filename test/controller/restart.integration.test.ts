// `ghostbridge run` killed (SIGKILL) and restarted in the middle of a TCP transfer through a
// real OVS bridge: the installed entries keep forwarding (fail-mode secure and standalone),
// and the restarted controller adopts them instead of starting their flows again.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge, ovsAvailable, ping, setController, sleep, waitConnected } from '../support/ovs.ts';
import { startTransfer } from '../support/traffic.ts';
import { prerequisite } from '../support/ci.ts';
import { freePort, readEvents, runGhostbridge } from './child.ts';
import { until } from './harness.ts';

const BYTES = 10 * 1024 * 1024;
const RATE = 1.5 * 1024 * 1024; // about 7 s of transfer, long enough to restart inside it

for (const failMode of ['standalone', 'secure'] as const) {
  test.serial(`fail-mode ${failMode}: a controller killed mid-transfer does not stop it, and after restart no flow starts twice`, async (t) => {
    if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
    const dir = mkdtempSync(join(tmpdir(), 'gb-restart-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'data');
    const port = await freePort();
    const args = ['--data', data, '--api', 'off', '--listen', `tcp:127.0.0.1:${port}`, '--idle-timeout', '10', '--stats-interval', '1', '--echo-interval', '1', '--log-level', 'info'];
    let ctl = await runGhostbridge(args);
    t.teardown(() => ctl.kill());
    const br = await createBridge({ hosts: 3, failMode });
    t.teardown(() => br.remove());
    await setController(br.name, `tcp:127.0.0.1:${port}`);
    await waitConnected(br.name);
    const [h1, h2] = br.hosts;
    t.deepEqual(await ping(h1, h2, 2), { sent: 2, received: 2 });

    const transfer = await startTransfer(h1, h2, BYTES, { rate: RATE, port: 5002 });
    // Let the transfer's entries be installed, then crash the controller.
    await sleep(1_500);
    await ctl.kill();
    const killedAt = Date.now();
    await waitConnected(br.name, 5_000, false);
    await sleep(1_000);
    ctl = await runGhostbridge(args);
    await waitConnected(br.name, 10_000);
    const backAt = Date.now();
    const result = await transfer.done;
    t.is(result.receivedBytes, BYTES);
    t.is(result.receivedSha256, result.sentSha256);
    const during = result.arrivals.filter(([ms]) => result.start + ms >= killedAt && result.start + ms + 100 <= backAt).reduce((n, [, b]) => n + b, 0);
    t.true(during > 0, `bytes arrived while no controller was running (${during})`);
    t.true(backAt - killedAt > 1_000);

    // Wait for at least one flow-stats poll of the second run before stopping it.
    const before = readEvents(data).length;
    await until(() => readEvents(data).length > before + 1, 10_000, 'events from the restarted controller');
    await ctl.stop(); // SIGTERM with OVS still connected: throws if run does not exit
    t.is((await ctl.proc).exitCode, 0, ctl.output.join('\n'));

    const events = readEvents(data);
    const starts = events.filter((e) => e.event.action === 'flow.start').map((e) => e.ghostbridge.flow!.id);
    t.true(starts.length >= 4, `flow.start events: ${starts.length}`);
    t.is(new Set(starts).size, starts.length, `a flow started twice: ${starts.join(' ')}`);
    // The restarted controller knew the transfer's entries: it reported them as updates.
    const ups = events.map((e, i) => [e.event.action, i] as const).filter(([a]) => a === 'switch.up').map(([, i]) => i);
    t.is(ups.length, 2, 'one switch.up per controller run');
    const adopted = events.slice(ups[1]).filter((e) => e.event.action === 'flow.update').map((e) => e.ghostbridge.flow!.id);
    t.true(starts.some((id) => adopted.includes(id)), 'entries from the first run are polled by the second');
  });
}
