// scripts/demo.sh, the tour an operator runs first, end to end on real OVS and btrfs: every
// step's claim shows in its output, and it leaves nothing behind.
import test from 'ava';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { ovsAvailable } from '../support/ovs.ts';
import { prerequisite } from '../support/ci.ts';

const script = fileURLToPath(new URL('../../scripts/demo.sh', import.meta.url));

test('the demo passes every step on real OVS and btrfs, and removes what it created', async (t) => {
  if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
  const r = await execa('bash', [script], { reject: false, timeout: 180_000, all: true });
  t.is(r.exitCode, 0, r.all);
  const out = r.all;
  t.is(out.match(/3 packets transmitted, 3 received, 0% packet loss/g)?.length, 2, 'both pings answered');
  t.regex(out, /tcp: sent 2000000 bytes, received 2000000 bytes, identical: yes/);
  t.regex(out, /\d+ events: 1 switch\.up, \d+ flow\.start, (\d+ flow\.update, )?\d+ flow\.end/);
  t.regex(out, /lines of the log holding a raw address \(.*\): 0\n/);
  t.regex(out, /events that name host 1 by its pseudonym [\d.]+: [1-9]\d*/);
  t.regex(out, /ro=true/, 'the block is a read-only snapshot');
  t.is(out.match(/^ok: \d+ events, 1 blocks, 1 snapshots/gm)?.length, 2, 'verify passes on the data and on the replica');
  t.regex(out, /ok: the event is in the signed block/);
  t.regex(out, /^ {2}seq \d+ {2}score [\d.]+ {2}flow\./m, 'a similar flow is found');
  t.regex(out, /demo: all steps passed$/);

  const tag = /An OVS bridge (gbd[0-9a-f]{4})/.exec(out)?.[1];
  t.truthy(tag, 'the bridge name is printed');
  const bridges = await execa('ovs-vsctl', ['list-br']);
  t.false(bridges.stdout.split('\n').includes(tag!), 'the bridge is removed');
  const netns = await execa('ip', ['netns', 'list']);
  t.false(netns.stdout.includes(`${tag}h`), 'the namespaces are removed');
  const mounts = await execa('findmnt', ['-rn', '-o', 'TARGET']);
  t.false(mounts.stdout.includes('ghostbridge-demo.'), 'the loop mount is removed');
});
