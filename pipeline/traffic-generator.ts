// A seeded generator of plausible site traffic as flow facts: web, DNS, NTP, SSH, ping, ARP,
// some IPv6, each flow a start (with a byte-built first frame), updates and an end. It feeds
// the default model's training (pipeline/model/train-default.ts), the tests and the
// benchmarks. `scan: true` produces port-scan flows instead: one SYN, no reply, idle end.
import type { FlowFact, FlowKey } from './facts.ts';
import { ethernet, arp, ipv4, ipv6, tcp, udp, icmp, ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_TCP, PROTO_UDP } from './frame-builder.ts';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Service {
  name: string;
  weight: number;
  protocol: number;
  port: number;
  v6?: boolean;
  packets: [number, number];
  meanSize: [number, number];
  seconds: [number, number];
}

const SERVICES: Service[] = [
  { name: 'https', weight: 40, protocol: PROTO_TCP, port: 443, packets: [8, 4000], meanSize: [300, 1400], seconds: [0.2, 300] },
  { name: 'http', weight: 8, protocol: PROTO_TCP, port: 80, packets: [6, 400], meanSize: [200, 1200], seconds: [0.1, 30] },
  { name: 'https6', weight: 10, protocol: PROTO_TCP, port: 443, v6: true, packets: [8, 3000], meanSize: [300, 1400], seconds: [0.2, 300] },
  { name: 'dns', weight: 20, protocol: PROTO_UDP, port: 53, packets: [1, 2], meanSize: [70, 200], seconds: [0, 0.05] },
  { name: 'ntp', weight: 4, protocol: PROTO_UDP, port: 123, packets: [1, 1], meanSize: [90, 90], seconds: [0, 0] },
  { name: 'ssh', weight: 4, protocol: PROTO_TCP, port: 22, packets: [20, 20000], meanSize: [90, 600], seconds: [5, 3600] },
  { name: 'ping', weight: 6, protocol: PROTO_ICMP, port: 0, packets: [1, 10], meanSize: [98, 98], seconds: [0, 10] },
  { name: 'arp', weight: 8, protocol: -1, port: 0, packets: [1, 1], meanSize: [60, 60], seconds: [0, 0] },
];

export interface GeneratorOptions {
  seed: number;
  flows: number;
  /** Epoch milliseconds of the first flow. */
  start?: number;
  datapathId?: bigint;
  /** Port-scan flows instead of ordinary traffic. */
  scan?: boolean;
  /** Bytes placed in every generated payload (tests put a marker here). */
  payload?: Uint8Array;
}

export function generateTraffic(o: GeneratorOptions): FlowFact[] {
  const random = seededRandom(o.seed);
  const between = (lo: number, hi: number) => lo + (hi - lo) * random();
  const logBetween = (lo: number, hi: number) => Math.exp(between(Math.log(lo + 1), Math.log(hi + 1))) - 1;
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const totalWeight = SERVICES.reduce((n, s) => n + s.weight, 0);
  const datapathId = o.datapathId ?? 1n;
  const payload = o.payload ?? new Uint8Array(0);
  const clients = Array.from({ length: 40 }, (_, i) => ({ ip: `10.1.${i >> 4}.${(i % 16) + 10}`, ip6: `fd00:1::${(i + 16).toString(16)}`, mac: `02:00:00:00:01:${(i + 16).toString(16)}` }));
  const servers = ['93.184.216.34', '142.250.74.46', '151.101.1.69', '104.16.132.229', '9.9.9.9', '192.0.2.10'];
  const servers6 = ['2606:2800:220:1:248:1893:25c8:1946', '2a00:1450:4001:80b::200e'];
  const gatewayMac = '02:00:00:00:00:01';
  let time = o.start ?? Date.UTC(2026, 0, 5, 8, 0, 0);
  const facts: FlowFact[] = [];
  for (let n = 0; n < o.flows; n++) {
    time += Math.floor(logBetween(0, 20_000));
    const client = pick(clients);
    let draw = random() * totalWeight;
    let service = SERVICES.find((s) => (draw -= s.weight) < 0) ?? SERVICES[0]!;
    if (o.scan) service = { ...SERVICES[0]!, port: 1 + Math.floor(random() * 10000), packets: [1, 1], meanSize: [54, 54], seconds: [0, 0] };
    const flowId = (BigInt(o.seed) << 32n) | BigInt(n);
    const srcPort = 32768 + Math.floor(random() * 28000);
    let key: FlowKey;
    let frame: Uint8Array;
    if (service.protocol === -1) {
      const target = pick(clients);
      key = { inPort: 1 + (clients.indexOf(client) % 4), ethSrc: client.mac, ethDst: 'ff:ff:ff:ff:ff:ff', ethType: ETH_ARP };
      frame = ethernet({ src: client.mac, dst: 'ff:ff:ff:ff:ff:ff', type: ETH_ARP }, arp({ operation: 1, senderMac: client.mac, senderIp: client.ip, targetMac: '00:00:00:00:00:00', targetIp: target.ip }));
    } else if (service.v6) {
      const dst = pick(servers6);
      key = { inPort: 1 + (clients.indexOf(client) % 4), ethSrc: client.mac, ethDst: gatewayMac, ethType: ETH_IPV6, ipSrc: client.ip6, ipDst: dst, ipProto: service.protocol, srcPort, dstPort: service.port };
      frame = ethernet({ src: client.mac, dst: gatewayMac, type: ETH_IPV6 }, ipv6({ src: client.ip6, dst, protocol: PROTO_TCP, hopLimit: 64 }, tcp({ srcPort, dstPort: service.port, flags: 0x002 }, payload)));
    } else {
      const dst = service.port === 53 || service.port === 123 ? '10.1.0.1' : o.scan ? `10.1.0.${1 + Math.floor(random() * 3)}` : pick(servers);
      const ttl = random() < 0.8 ? 64 : 128;
      const base = { src: client.ip, dst, protocol: service.protocol, ttl };
      const l4 =
        service.protocol === PROTO_TCP ? tcp({ srcPort, dstPort: service.port, flags: 0x002 }, payload)
        : service.protocol === PROTO_UDP ? udp({ srcPort, dstPort: service.port }, payload)
        : icmp({ type: 8, code: 0 }, payload);
      key = { inPort: 1 + (clients.indexOf(client) % 4), ethSrc: client.mac, ethDst: gatewayMac, ethType: ETH_IPV4, ipSrc: client.ip, ipDst: dst, ipProto: service.protocol };
      if (service.protocol === PROTO_ICMP) Object.assign(key, { icmpType: 8, icmpCode: 0 });
      else Object.assign(key, { srcPort, dstPort: service.port });
      frame = ethernet({ src: client.mac, dst: gatewayMac, type: ETH_IPV4 }, ipv4(base, l4));
    }
    const packets = Math.max(1, Math.round(logBetween(...service.packets)));
    const bytes = Math.round(packets * between(...service.meanSize));
    const seconds = packets === 1 ? 0 : logBetween(...service.seconds);
    facts.push({ kind: 'flow.start', time, datapathId, flowId, key, frame, frameLength: frame.length });
    // Long flows get periodic counter updates (every 10 s, as the controller polls).
    for (let t = 10; t < seconds && t <= 60; t += 10) {
      const share = t / seconds;
      facts.push({ kind: 'flow.update', time: time + t * 1000, datapathId, flowId, key, counters: { packets: BigInt(Math.max(1, Math.round(packets * share))), bytes: BigInt(Math.round(bytes * share)) }, durationSeconds: t });
    }
    const idle = service.protocol === PROTO_TCP && !o.scan ? 10 : 5;
    facts.push({
      kind: 'flow.end', time: time + Math.round((seconds + idle) * 1000), datapathId, flowId, key,
      counters: { packets: BigInt(packets), bytes: BigInt(bytes) }, durationSeconds: seconds + idle,
      reason: random() < 0.97 ? 'idle-timeout' : 'delete', idleTimeout: idle, hardTimeout: 0,
    });
  }
  return facts.sort((a, b) => a.time - b.time);
}
