// The controller behind a real Open vSwitch bridge (userspace datapath) with three hosts in
// network namespaces: traffic passes as through a plain switch, the flow table holds the
// entries the policy promises, and flow facts agree with what OVS counted.
import test from 'ava';
import { execa } from 'execa';
import { createBridge, dumpFlows, ovsAvailable, ping, setController, waitConnected, type FlowEntry } from '../support/ovs.ts';
import { startTransfer } from '../support/traffic.ts';
import { prerequisite } from '../support/ci.ts';
import { startController, until } from './harness.ts';
import { flowIdOf } from '../../controller/index.ts';
import type { FlowFact } from '../../pipeline/facts.ts';

const IDLE = 4;

test('three hosts: pings and a 10 MB TCP transfer pass intact, entries as promised, flow-end counters match OVS', async (t) => {
  if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
  const ctl = await startController({ session: { policy: { idleTimeout: IDLE, hardTimeout: 0, priority: 100 }, statsIntervalMs: 500 } });
  t.teardown(() => ctl.stop());
  const br = await createBridge({ hosts: 3, failMode: 'secure' });
  t.teardown(() => br.remove());
  await setController(br.name, ctl.target);
  await waitConnected(br.name);
  await until(() => ctl.facts.some((f) => f.kind === 'switch.up'), 5_000, 'switch.up');
  const [h1, h2, h3] = br.hosts;

  for (const [a, b] of [[h1, h2], [h2, h3], [h3, h1]]) {
    const r = await ping(a, b, 3);
    t.deepEqual(r, { sent: 3, received: 3 }, `${a.ip} → ${b.ip}`);
  }

  const transfer = await startTransfer(h1, h3, 10 * 1024 * 1024, { port: 5001 });
  const result = await transfer.done;
  t.is(result.receivedBytes, 10 * 1024 * 1024);
  t.is(result.receivedSha256, result.sentSha256, 'the bytes arrived unchanged');

  // The policy's promise: an exact 5-tuple entry each way, with timeouts and SEND_FLOW_REM,
  // ICMP entries by type/code, and the table-miss entry to the controller.
  const flows = await dumpFlows(br.name);
  const fwd = flows.find((f) => 'tcp' in f.match && f.match.nw_src === h1.ip && f.match.tp_dst === '5001');
  const back = flows.find((f) => 'tcp' in f.match && f.match.nw_src === h3.ip && f.match.tp_src === '5001');
  t.truthy(fwd, 'h1 → h3:5001 entry');
  t.truthy(back, 'h3:5001 → h1 entry');
  t.like(fwd!.match, { in_port: h1.port, dl_src: h1.mac, dl_dst: h3.mac, nw_dst: h3.ip });
  t.regex(fwd!.match.tp_src, /^\d+$/);
  t.is(fwd!.actions, `output:${h3.port}`);
  t.is(fwd!.idleTimeout, IDLE);
  t.deepEqual(fwd!.flags, ['send_flow_rem']);
  t.true(flows.some((f) => 'icmp' in f.match && f.match.icmp_type === '8' && f.match.nw_src === h1.ip && f.match.nw_dst === h2.ip));
  t.true(flows.some((f) => 'icmp' in f.match && f.match.icmp_type === '0' && f.match.nw_src === h2.ip));
  const miss = flows.find((f) => f.priority === 0);
  t.deepEqual([miss?.match, miss?.actions], [{}, 'CONTROLLER:65535']);

  // Each entry's cookie is the flow id of the flow.start fact that announced it.
  const starts = ctl.facts.filter((f) => f.kind === 'flow.start');
  const fwdStart = starts.find((f) => f.flowId === fwd!.cookie);
  t.truthy(fwdStart, 'a flow.start fact carries the entry\'s cookie');
  t.is(flowIdOf(fwdStart!.key), fwd!.cookie);
  t.is(new Set(starts.map((f) => f.flowId)).size, starts.length, 'no flow started twice');

  // OVS folds datapath counters into its flow table every ~500 ms: read until two reads
  // 600 ms apart agree (well inside the idle timeout), then wait for the entry to expire.
  let settled: FlowEntry | undefined;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 600));
    const again = (await dumpFlows(br.name)).find((f) => f.cookie === fwd!.cookie);
    if (!again) break;
    const stable = settled && again.packets === settled.packets && again.bytes === settled.bytes;
    settled = again;
    if (stable && settled.bytes >= 10 * 1024 * 1024) break;
  }
  t.truthy(settled, 'the entry was still there after the transfer');
  const isEnd = (f: FlowFact): f is Extract<FlowFact, { kind: 'flow.end' }> => f.kind === 'flow.end' && f.flowId === fwd!.cookie;
  await until(() => ctl.facts.some(isEnd), (IDLE + 5) * 1000, 'flow.end of the transfer');
  const end = ctl.facts.find(isEnd)!;
  t.is(end.reason, 'idle-timeout');
  t.is(end.counters.packets, BigInt(settled!.packets));
  t.is(end.counters.bytes, BigInt(settled!.bytes));
  t.true(end.counters.bytes! > 10n * 1024n * 1024n, 'the data bytes (and headers) went through this entry');
  t.false((await dumpFlows(br.name)).some((f) => f.cookie === fwd!.cookie), 'the entry is gone from the switch');
  // Flow stats arrived as flow.update facts with OVS's counters along the way.
  t.true(ctl.facts.some((f) => f.kind === 'flow.update' && f.flowId === fwd!.cookie && f.counters.packets! > 0n));

  // A port taken off the bridge is reported.
  await execa('ovs-vsctl', ['del-port', br.name, h3.port]);
  const gone = await until(() => ctl.facts.find((f) => f.kind === 'port.status' && f.reason === 'delete'), 5_000, 'port.status delete');
  t.like(gone, { port: { name: h3.port, portNo: h3.ofport } });
});
