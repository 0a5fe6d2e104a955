// Several real OVS bridges, TLS with mutual certificates over IPv6, a plain client on the
// TLS port, garbage from one connection, and two controllers sharing one bridge by role.
import test from 'ava';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerColumn, createBridge, ovsAvailable, ping, setController, waitConnected } from '../support/ovs.ts';
import { prerequisite } from '../support/ci.ts';
import { startController, until } from './harness.ts';
import { FakeSwitch } from './fake-switch.ts';
import { parseListen } from '../../controller/index.ts';

test('two bridges at once; garbage from a third connection closes only that one', async (t) => {
  if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
  const ctl = await startController();
  t.teardown(() => ctl.stop());
  const [a, b] = await Promise.all([createBridge({ hosts: 2, subnet: 81 }), createBridge({ hosts: 2, subnet: 82 })]);
  t.teardown(() => Promise.all([a.remove(), b.remove()]));
  await Promise.all([setController(a.name, ctl.target), setController(b.name, ctl.target)]);
  await Promise.all([waitConnected(a.name), waitConnected(b.name)]);
  await until(() => ctl.facts.filter((f) => f.kind === 'switch.up').length === 2, 5_000, 'both bridges up');
  t.deepEqual(await ping(a.hosts[0], a.hosts[1], 2), { sent: 2, received: 2 });
  t.deepEqual(await ping(b.hosts[0], b.hosts[1], 2), { sent: 2, received: 2 });

  const bad = await FakeSwitch.connect(Number(ctl.target.split(':').pop()), { datapathId: 0xbadn });
  await until(() => ctl.controller.datapaths.has(0xbadn), 3_000, 'the bad switch identified');
  bad.sendRaw(Uint8Array.of(4, 99, 0, 8, 0, 0, 0, 1));
  await bad.waitClosed();
  t.is(ctl.controller.datapaths.size, 2, 'the two bridges keep their sessions');
  // New flows (entries from before have a 10 s idle timeout, so use fresh ICMP ids).
  t.deepEqual(await ping(a.hosts[1], a.hosts[0], 2), { sent: 2, received: 2 });
  t.deepEqual(await ping(b.hosts[1], b.hosts[0], 2), { sent: 2, received: 2 });
  t.is(await controllerColumn(a.name, ctl.target, 'is_connected'), 'true');
});

async function makeCerts(dir: string) {
  const ossl = (...args: string[]) => execa('openssl', args, { cwd: dir });
  await ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=gb-test-ca');
  for (const n of ['ctl', 'sw']) {
    await ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=gb-test-${n}`);
  }
  // Self-signed: a switch certificate our CA never signed.
  await ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=gb-test-rogue');
  for (const n of ['ctl', 'sw']) await ossl('x509', '-req', '-in', `${n}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${n}.crt`, '-days', '2');
}

test('a bridge over ssl: (IPv6, mutual certificates); a plain TCP client on the TLS port is logged and the listener carries on', async (t) => {
  if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
  const dir = mkdtempSync(join(tmpdir(), 'gb-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await makeCerts(dir);
  const file = (n: string) => readFileSync(join(dir, n));
  const ctl = await startController({ listen: [parseListen('ssl:[::1]:0')], tls: { key: file('ctl.key'), cert: file('ctl.crt'), ca: file('ca.crt') } });
  t.teardown(() => ctl.stop());
  const port = ctl.controller.bound[0].port;

  // A plain OpenFlow client on the TLS port: its HELLO is no TLS record.
  const plain = connect(port, '::1');
  plain.on('error', () => {});
  plain.write(Uint8Array.of(4, 0, 0, 8, 0, 0, 0, 1));
  await until(() => ctl.logs.some((l) => l.msg === 'TLS handshake failed'), 5_000, 'the failed handshake logged');
  plain.destroy();
  // A client whose certificate our CA did not sign is refused.
  const logged = ctl.logs.length;
  const rogue = tlsConnect({ host: '::1', port, key: file('rogue.key'), cert: file('rogue.crt'), ca: file('ca.crt'), checkServerIdentity: () => undefined });
  rogue.on('error', () => {});
  await until(() => ctl.logs.slice(logged).some((l) => l.msg === 'TLS handshake failed'), 5_000, 'the rogue certificate refused');
  rogue.destroy();
  t.is(ctl.controller.sessions.size, 0);

  await execa('ovs-vsctl', ['set-ssl', join(dir, 'sw.key'), join(dir, 'sw.crt'), join(dir, 'ca.crt')]);
  t.teardown(() => execa('ovs-vsctl', ['del-ssl'], { reject: false }).then(() => undefined));
  const br = await createBridge({ hosts: 2, subnet: 83 });
  t.teardown(() => br.remove());
  await setController(br.name, `ssl:[::1]:${port}`);
  await waitConnected(br.name, 15_000);
  t.deepEqual(await ping(br.hosts[0], br.hosts[1], 2), { sent: 2, received: 2 });
  t.true(ctl.facts.some((f) => f.kind === 'switch.up' && f.address.startsWith('::1')));
  t.true(ctl.facts.some((f) => f.kind === 'flow.start'));
});

test('two controllers share one bridge by role: master forwards, slave watches, a newer generation takes over', async (t) => {
  if (!prerequisite(t, await ovsAvailable(), 'root and a running Open vSwitch')) return;
  const one = await startController({ session: { role: 'master', generationId: 1n } });
  t.teardown(() => one.stop());
  const two = await startController({ session: { role: 'slave', generationId: 1n } });
  t.teardown(() => two.stop());
  const br = await createBridge({ hosts: 2, subnet: 84 });
  t.teardown(() => br.remove());
  await setController(br.name, one.target, two.target);
  await until(async () => (await controllerColumn(br.name, two.target, 'role')) === 'slave' && (await controllerColumn(br.name, one.target, 'role')) === 'master', 10_000, 'roles as claimed');
  t.deepEqual(await ping(br.hosts[0], br.hosts[1], 2), { sent: 2, received: 2 });
  t.true(one.facts.some((f) => f.kind === 'flow.start'), 'the master handled the packet-ins');
  t.false(two.facts.some((f) => f.kind === 'flow.start'), 'the slave got none');

  await two.controller.setRole('master', 2n);
  await until(async () => (await controllerColumn(br.name, one.target, 'role')) === 'slave', 5_000, 'the old master demoted by OVS');
  t.is(await controllerColumn(br.name, two.target, 'role'), 'master');
  t.deepEqual(await ping(br.hosts[1], br.hosts[0], 2), { sent: 2, received: 2 });
  t.true(two.facts.some((f) => f.kind === 'flow.start'), 'the new master forwards');
  // A stale generation id is refused by the switch.
  await t.throwsAsync(one.controller.setRole('master', 1n), { message: /role master.*failed/ });
});
