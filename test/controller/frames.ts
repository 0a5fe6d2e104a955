// Builds test frames byte by byte (Ethernet, 802.1Q, ARP, IPv4, IPv6, TCP, UDP, ICMP).
export function mac(s: string): number[] {
  return s.split(':').map((h) => parseInt(h, 16));
}

function ip4(s: string): number[] {
  return s.split('.').map(Number);
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

export interface FrameSpec {
  src: string;
  dst: string;
  vlan?: number;
}

function ether(f: FrameSpec, type: number, payload: number[]): Uint8Array {
  const tag = f.vlan === undefined ? [] : [0x81, 0x00, ...u16(f.vlan)];
  return Uint8Array.from([...mac(f.dst), ...mac(f.src), ...tag, ...u16(type), ...payload]);
}

export function arpRequest(f: FrameSpec, spa: string, tpa: string): Uint8Array {
  return ether(f, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...mac(f.src), ...ip4(spa), 0, 0, 0, 0, 0, 0, ...ip4(tpa)]);
}

export function ipv4(f: FrameSpec, src: string, dst: string, proto: number, l4: number[], opts: { fragOffset?: number } = {}): Uint8Array {
  const header = [0x45, 0, ...u16(20 + l4.length), 0, 1, ...u16(opts.fragOffset ?? 0), 64, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  return ether(f, 0x0800, [...header, ...l4]);
}

export function tcp(sport: number, dport: number): number[] {
  return [...u16(sport), ...u16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
}

export function udp(sport: number, dport: number, payload: number[] = []): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
}

export function icmpEcho(type: 8 | 0): number[] {
  return [type, 0, 0, 0, 0, 1, 0, 1];
}

export function ipv6(f: FrameSpec, src: number[], dst: number[], next: number, l4: number[]): Uint8Array {
  return ether(f, 0x86dd, [0x60, 0, 0, 0, ...u16(l4.length), next, 64, ...src, ...dst, ...l4]);
}
