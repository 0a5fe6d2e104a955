import test from 'ava';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseListen, formatListen } from '../../controller/index.ts';
import { startController, until } from './harness.ts';
import { FakeSwitch } from './fake-switch.ts';

test('listen addresses: tcp and ssl, IPv4, names and bracketed IPv6; anything else is refused clearly', (t) => {
  t.deepEqual(parseListen('tcp:127.0.0.1:6653'), { protocol: 'tcp', host: '127.0.0.1', port: 6653 });
  t.deepEqual(parseListen('ssl:[::1]:6654'), { protocol: 'ssl', host: '::1', port: 6654 });
  t.deepEqual(parseListen('tcp:localhost:1'), { protocol: 'tcp', host: 'localhost', port: 1 });
  t.is(formatListen(parseListen('ssl:[fe80::1]:6653')), 'ssl:[fe80::1]:6653');
  for (const bad of ['tcp:::1:6653', 'udp:1.2.3.4:5', 'tcp:1.2.3.4', 'tcp:1.2.3.4:70000', 'tcp:1.2.3.4:66;rm']) {
    t.throws(() => parseListen(bad), { message: /bad listen address/ }, bad);
  }
});

test('a tcp listener on IPv6 serves switches', async (t) => {
  const ctl = await startController({ listen: [parseListen('tcp:[::1]:0')] });
  t.teardown(() => ctl.stop());
  const sw = await FakeSwitch.connect(ctl.controller.bound[0].port, { datapathId: 6n }, '::1');
  t.teardown(() => sw.close());
  const up = await until(() => ctl.facts.find((f) => f.kind === 'switch.up'), 3_000, 'switch.up');
  t.like(up, { datapathId: 6n });
});

test('an ssl listener without certificates is refused at start', async (t) => {
  await t.throwsAsync(startController({ listen: [parseListen('ssl:127.0.0.1:0')] }), { message: /needs --tls-key/ });
});

test('stop() does not wait for a client stuck in the TLS handshake (no ClientHello): its connection is closed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-tls-stop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=gb-test'], { cwd: dir });
  const pem = (n: string) => readFileSync(join(dir, n));
  const ctl = await startController({ listen: [parseListen('ssl:127.0.0.1:0')], tls: { key: pem('k.pem'), cert: pem('c.pem'), ca: pem('c.pem') } });
  const silent = connect(ctl.controller.bound[0].port, '127.0.0.1');
  t.teardown(() => silent.destroy());
  await new Promise<void>((resolve, reject) => silent.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
  silent.on('error', () => {});
  await new Promise((r) => setTimeout(r, 200)); // accepted by the server, handshake pending
  const outcome = await Promise.race([ctl.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 5_000))]);
  t.is(outcome, 'stopped'); // the TLS handshake timeout is 120 s
  await closed;
});
