// Writes OpenFlow messages into a classic pcap: each message in its own Ethernet/IPv4/TCP
// packet from the switch side to port 6653, one TCP stream with consistent sequence numbers,
// so that tshark's OpenFlow dissector reads them as a controller connection.
const OFP_PORT = 6653;

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function pcapOf(messages: Uint8Array[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(0x40000, 16); // snaplen
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts = [global];
  let seq = 1000;
  messages.forEach((msg, i) => {
    const eth = Buffer.from('02000000000102000000000208' + '00', 'hex');
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + msg.length, 2);
    ip.writeUInt16BE(i & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 6;
    Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ip, 12);
    ip.writeUInt16BE(ipv4Checksum(ip), 10);
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(40000, 0);
    tcp.writeUInt16BE(OFP_PORT, 2);
    tcp.writeUInt32BE(seq, 4);
    tcp.writeUInt32BE(1, 8);
    tcp[12] = 5 << 4;
    tcp[13] = 0x18; // PSH, ACK
    tcp.writeUInt16BE(65535, 14);
    seq = (seq + msg.length) >>> 0;
    const frame = Buffer.concat([eth, ip, tcp, msg]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}
