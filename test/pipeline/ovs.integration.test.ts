// Real frames: a real Open vSwitch bridge, the real controller, traffic from network
// namespaces (ARP, ICMP, a UDP datagram carrying a marker), and this pipeline consuming the
// controller's facts. The events, written out as a log, must be schema-valid and hold
// neither the marker nor any raw address of the hosts.
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBridge, inHost, ovsAvailable, ping, setController, waitConnected } from '../support/ovs.ts';
import { prerequisite } from '../support/ci.ts';
import { startController, until } from '../controller/harness.ts';
import { createPipeline } from '../../pipeline/index.ts';
import type { FlowFact, PipelineOutput } from '../../pipeline/index.ts';
import { assertValidEvents } from './schema.ts';
import { scratchDir } from './scratch.ts';

const MARKER = 'GB-OVS-PAYLOAD-MARKER-5c1e9d';

test('frames captured by OVS become schema-valid private events with no payload', async (t) => {
  if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
  const dir = await scratchDir(t);
  const pipeline = await createPipeline({ keyFile: join(dir, 'site.key'), modelDir: join(dir, 'data', 'metadata', 'model'), log: () => {} });
  t.teardown(() => pipeline.close());
  const outputs: PipelineOutput[] = [];
  const ctl = await startController({
    session: { policy: { idleTimeout: 2, hardTimeout: 0, priority: 100 }, statsIntervalMs: 500 },
    consume: async (facts: FlowFact[]) => void outputs.push(...(await pipeline.process(facts))),
  });
  t.teardown(() => ctl.stop());
  const br = await createBridge({ hosts: 2, failMode: 'secure', subnet: 93 });
  t.teardown(() => br.remove());
  await setController(br.name, ctl.target);
  await waitConnected(br.name);
  const [h1, h2] = br.hosts as [NonNullable<(typeof br.hosts)[0]>, NonNullable<(typeof br.hosts)[0]>];

  t.deepEqual(await ping(h1, h2, 2), { sent: 2, received: 2 });
  const send = `const s = require('node:dgram').createSocket('udp4');
    s.send(Buffer.from('${MARKER}'.repeat(2)), 40404, '${h2.ip}', (e) => { if (e) throw e; s.close(); });`;
  const sent = await inHost(h1, process.execPath, ['-e', send]);
  t.is(sent.exitCode, 0, sent.stderr);

  const udpStart = await until(() => ctl.facts.find((f) => f.kind === 'flow.start' && f.key.ipProto === 17 && f.key.dstPort === 40404), 10_000, 'the UDP flow.start');
  // The marker really reached the pipeline inside the frame OVS sent up.
  t.true(udpStart.kind === 'flow.start' && Buffer.from(udpStart.frame).includes(MARKER));
  if (udpStart.kind !== 'flow.start') return;
  await until(() => outputs.some((o) => o.event.event.action === 'flow.end' && o.event.ghostbridge.flow?.id === udpStart.flowId.toString(16).padStart(16, '0')), 15_000, 'the UDP flow.end');

  const events = outputs.map((o) => o.event);
  assertValidEvents(t, events);
  const actions = new Set(events.map((e) => e.event.action));
  for (const a of ['switch.up', 'flow.start', 'flow.end'] as const) t.true(actions.has(a), a);
  const transports = new Set(events.map((e) => e.network?.transport ?? e.network?.protocol));
  for (const p of ['icmp', 'udp', 'arp']) t.true(transports.has(p), `a ${p} event`);
  const udpEnd = events.find((e) => e.event.action === 'flow.end' && e.destination?.port === 40404)!;
  // Start and end joined: the end carries the first packet's facts and the idle timeout as reason.
  t.is(udpEnd.ghostbridge.flow!.first_packet!.length, udpStart.frameLength);
  t.is(udpEnd.event.reason, 'idle-timeout');
  // The entry counts what it forwarded; the first datagram went up to the controller instead.
  t.is(typeof udpEnd.network!.packets, 'number');
  t.true(outputs.filter((o) => o.event.event.action.startsWith('flow.')).every((o) => o.vector?.length === 16 && o.anomaly !== null));

  const log = join(dir, 'events.jsonl');
  await writeFile(log, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const text = await readFile(log, 'utf8');
  t.false(text.includes(MARKER), 'payload marker in the log');
  for (const raw of [h1.ip, h2.ip, h1.mac, h2.mac]) t.false(text.includes(`"${raw}"`), `raw address ${raw} in the log`);
});
