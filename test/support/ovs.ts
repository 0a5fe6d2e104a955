// A real Open vSwitch testbed for integration tests: a userspace (netdev) bridge speaking
// OpenFlow 1.3, hosts in network namespaces joined to it by veth pairs. Every name carries
// a per-run tag so parallel or crashed runs never collide, and the bridge records the
// owning process id so a later run can remove what a crashed one left behind.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';

export interface Host {
  /** Network namespace name. */
  ns: string;
  /** IPv4 address inside the namespace. */
  ip: string;
  /** MAC of the host's interface (inside the namespace). */
  mac: string;
  /** The interface name inside the namespace. */
  dev: string;
  /** The OVS port name (the veth end in the root namespace). */
  port: string;
  /** The OpenFlow port number OVS gave that port. */
  ofport: number;
}

export interface Bridge {
  name: string;
  hosts: Host[];
  /** Removes hosts, veths and the bridge; safe to call twice. */
  remove(): Promise<void>;
}

export interface BridgeOptions {
  hosts: number;
  /** e.g. "tcp:127.0.0.1:6653"; none → no controller. */
  controller?: string;
  failMode?: 'secure' | 'standalone';
  /** Third octet of 10.X.Y.0/24 so two bridges in one test use distinct subnets. */
  subnet?: number;
}

const PID_KEY = 'gb-test-pid';

// `ethtool -K DEV tx off` without ethtool (python3 comes with Open vSwitch): the
// SIOCETHTOOL ioctl with ETHTOOL_STXCSUM = 0; this also turns off TSO, which depends on it.
const TX_CSUM_OFF = `
import array, fcntl, socket, struct, sys
value = array.array('I', [0x17, 0])
ifreq = struct.pack('16sP', sys.argv[1].encode(), value.buffer_info()[0])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(sock.fileno(), 0x8946, ifreq)
`;
let counter = 0;

/** A short unique tag: interface names are limited to 15 characters. */
export function uniqueTag(): string {
  counter++;
  return randomBytes(2).toString('hex') + counter.toString(36);
}

export async function sh(cmd: string, args: string[], timeout = 20_000): Promise<string> {
  const r = await execa(cmd, args, { timeout });
  return r.stdout;
}

/** True when this process can drive OVS (root, ovs-vswitchd running, netns usable). */
export async function ovsAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await execa('ovs-vsctl', ['--timeout=5', 'show'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes bridges (and their namespaces) left by test processes that no longer exist. */
export async function removeStale(): Promise<void> {
  const out = await sh('ovs-vsctl', ['--format=csv', '--data=bare', '--no-headings', '--columns=name,external_ids', 'list', 'bridge']);
  for (const line of out.split('\n')) {
    const m = /^([^,]+),.*gb-test-pid=(\d+)/.exec(line);
    if (!m || alive(Number(m[2]))) continue;
    const name = m[1];
    await execa('ovs-vsctl', ['--if-exists', 'del-br', name], { reject: false });
    const netns = (await execa('ip', ['netns', 'list'], { reject: false })).stdout;
    for (const ns of netns.split('\n').map((l) => l.split(' ')[0])) {
      if (ns.startsWith(`${name}h`)) await execa('ip', ['netns', 'del', ns], { reject: false });
    }
  }
}

export async function createBridge(opts: BridgeOptions): Promise<Bridge> {
  await removeStale();
  const name = `gbc${uniqueTag()}`;
  const subnet = opts.subnet ?? 77;
  const hosts: Host[] = [];
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await execa('ovs-vsctl', ['--if-exists', 'del-br', name], { reject: false });
    for (const h of hosts) {
      await execa('ip', ['link', 'del', h.port], { reject: false });
      await execa('ip', ['netns', 'del', h.ns], { reject: false });
    }
  };
  try {
    await sh('ovs-vsctl', [
      'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev', 'protocols=OpenFlow13',
      `external_ids:${PID_KEY}=${process.pid}`, '--', 'set-fail-mode', name, opts.failMode ?? 'secure',
    ]);
    for (let i = 1; i <= opts.hosts; i++) {
      const ns = `${name}h${i}`;
      const port = `${name}v${i}`;
      const dev = `${name}e${i}`;
      const ip = `10.${subnet}.0.${i}`;
      const mac = `02:00:00:${subnet.toString(16).padStart(2, '0')}:00:${i.toString(16).padStart(2, '0')}`;
      hosts.push({ ns, ip, mac, dev, port, ofport: 0 });
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['link', 'add', port, 'type', 'veth', 'peer', 'name', dev]);
      await sh('ip', ['link', 'set', dev, 'netns', ns]);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', dev, 'address', mac]);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', dev]);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up']);
      await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      // Offloads make veths hand over unchecksummed TCP segments the userspace datapath
      // forwards as they are; the receiver would drop them.
      await sh('ip', ['netns', 'exec', ns, 'python3', '-c', TX_CSUM_OFF, dev]);
      await sh('ip', ['link', 'set', port, 'up']);
      await sh('ovs-vsctl', ['add-port', name, port]);
      hosts[hosts.length - 1].ofport = Number(await sh('ovs-vsctl', ['get', 'interface', port, 'ofport']));
    }
    if (opts.controller) await setController(name, opts.controller);
    return { name, hosts, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Points the bridge at one or more controllers, retrying a lost connection every second. */
export async function setController(bridge: string, ...targets: string[]): Promise<void> {
  await sh('ovs-vsctl', ['set-controller', bridge, ...targets]);
  for (const uuid of await controllerUuids(bridge)) await sh('ovs-vsctl', ['set', 'controller', uuid, 'max_backoff=1000']);
}

/** Waits until OVS reports the bridge's controller connected (bounded). */
export async function waitConnected(bridge: string, timeoutMs = 15_000, connected = true): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await execa('ovs-vsctl', ['--if-exists', 'get', 'controller', await controllerUuid(bridge), 'is_connected'], { reject: false });
    if ((row.stdout.trim() === 'true') === connected) return;
    if (Date.now() > until) throw new Error(`bridge ${bridge}: controller ${connected ? 'not connected' : 'still connected'} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function controllerUuids(bridge: string): Promise<string[]> {
  const out = await sh('ovs-vsctl', ['get', 'bridge', bridge, 'controller']);
  return out.replace(/[[\]]/g, '').split(',').map((u) => u.trim()).filter(Boolean);
}

async function controllerUuid(bridge: string): Promise<string> {
  const [uuid] = await controllerUuids(bridge);
  if (!uuid) throw new Error(`bridge ${bridge} has no controller`);
  return uuid;
}

/** A controller row's column, e.g. role or is_connected, by its target. */
export async function controllerColumn(bridge: string, target: string, column: string): Promise<string> {
  for (const uuid of await controllerUuids(bridge)) {
    if ((await sh('ovs-vsctl', ['get', 'controller', uuid, 'target'])).replace(/"/g, '') === target) return sh('ovs-vsctl', ['get', 'controller', uuid, column]);
  }
  throw new Error(`bridge ${bridge} has no controller ${target}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a command inside a host's namespace. */
export function inHost(host: Host, cmd: string, args: string[], timeout = 30_000) {
  return execa('ip', ['netns', 'exec', host.ns, cmd, ...args], { timeout, reject: false });
}

/** Pings and returns packets sent/received. */
export async function ping(from: Host, to: Host, count = 3): Promise<{ sent: number; received: number }> {
  const r = await inHost(from, 'ping', ['-c', String(count), '-i', '0.2', '-W', '2', to.ip], 5_000 + count * 2_000);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  return { sent: m ? Number(m[1]) : count, received: m ? Number(m[2]) : 0 };
}

export interface FlowEntry {
  cookie: bigint;
  table: number;
  priority: number;
  packets: number;
  bytes: number;
  idleTimeout: number;
  hardTimeout: number;
  /** The match as `ovs-ofctl` prints it, e.g. {in_port: "1", dl_src: "..", tcp: ""}. */
  match: Record<string, string>;
  actions: string;
  flags: string[];
}

/** `ovs-ofctl -O OpenFlow13 dump-flows`, parsed. */
export async function dumpFlows(bridge: string): Promise<FlowEntry[]> {
  const out = await sh('ovs-ofctl', ['-O', 'OpenFlow13', '--names', 'dump-flows', bridge]);
  return out.split('\n').filter((l) => l.includes('actions=')).map(parseFlowLine);
}

export function parseFlowLine(line: string): FlowEntry {
  const [head, actions] = line.trim().split(/\s*actions=/);
  const fields: Record<string, string> = {};
  const flags: string[] = [];
  for (const part of head.split(/,\s*|\s+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) flags.push(part);
    else fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const take = (k: string) => {
    const v = fields[k];
    delete fields[k];
    return v;
  };
  const cookie = BigInt(take('cookie') ?? '0');
  take('duration');
  const entry: FlowEntry = {
    cookie,
    table: Number(take('table') ?? 0),
    packets: Number(take('n_packets') ?? 0),
    bytes: Number(take('n_bytes') ?? 0),
    idleTimeout: Number(take('idle_timeout') ?? 0),
    hardTimeout: Number(take('hard_timeout') ?? 0),
    priority: Number(take('priority') ?? 32768),
    match: {},
    actions,
    flags: [],
  };
  take('idle_age');
  take('hard_age');
  for (const f of flags) {
    if (f === 'send_flow_rem' || f === 'check_overlap' || f === 'reset_counts' || f === 'no_packet_counts' || f === 'no_byte_counts') entry.flags.push(f);
    else entry.match[f] = '';
  }
  Object.assign(entry.match, fields);
  return entry;
}
