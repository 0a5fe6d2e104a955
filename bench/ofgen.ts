// A cbench-style OpenFlow 1.3 load generator: emulated switches over real TCP that answer
// the controller's handshake and then send packet-ins, counting the packet-outs that come
// back. Every packet-in is a new TCP flow (fresh source port) between two learned hosts, so
// the controller installs an entry and emits a flow.start for each; to keep the controller's
// flow table bounded, each switch reports the entry installed `window` flows ago as removed
// (FLOW_REMOVED, idle timeout), as a real switch would.
//
// The hot path patches pre-encoded bytes and reads only message headers: the generator must
// cost much less than the controller it measures.
import { connect, type Socket } from 'node:net';
import { decodeMessage, encodeMessage, OFP_NO_BUFFER, type OfpMessage } from '../openflow/index.ts';

const OFPT_PACKET_OUT = 13;
const OFPT_FLOW_MOD = 14;
const HOSTS = 64;

function hostMac(sw: number, h: number): number[] {
  return [0x02, 0, sw & 0xff, 0, (h >> 8) & 0xff, h & 0xff];
}

/** Ethernet + IPv4 + TCP SYN, 64 bytes; source port patched per packet. */
function frame(sw: number, src: number, dst: number): Buffer {
  const f = Buffer.alloc(64);
  Buffer.from(dst < 0 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : hostMac(sw, dst)).copy(f, 0);
  Buffer.from(hostMac(sw, src)).copy(f, 6);
  f.writeUInt16BE(0x0800, 12);
  f.set([0x45, 0, 0, 50, 0, 1, 0, 0, 64, 6, 0, 0, 10, sw & 0xff, 0, src, 10, sw & 0xff, 0, Math.max(dst, 0)], 14);
  f.writeUInt16BE(1024, 34);
  f.writeUInt16BE(80, 36);
  f[46] = 0x50;
  f[47] = 0x02;
  return f;
}

function packetIn(sw: number, src: number, dst: number): { bytes: Buffer; portAt: number } {
  const data = frame(sw, src, dst);
  const bytes = encodeMessage({
    type: 'PACKET_IN', xid: 0, buffer_id: OFP_NO_BUFFER, total_len: data.length, reason: 0, table_id: 0, cookie: 0n,
    match: [{ field: 'in_port', value: src + 1 }], data,
  });
  return { bytes, portAt: bytes.length - data.length + 34 };
}

export interface SwitchStats {
  answered: number;
  latenciesNs: number[];
}

export class EmulatedSwitch {
  readonly dpid: number;
  readonly stats: SwitchStats = { answered: 0, latenciesNs: [] };
  private readonly socket: Socket;
  private readonly templates: { bytes: Buffer; portAt: number }[];
  private readonly removedTemplate: Buffer;
  private readonly cookies: Buffer[] = [];
  private readonly window: number;
  private tail = Buffer.alloc(0);
  private seq = 0;
  private outstanding = 0;
  private ready!: () => void;
  readonly up: Promise<void>;
  private mode: 'idle' | 'throughput' | 'latency' = 'idle';
  private depth = 0;
  private sentAt = 0n;
  recordLatency = false;

  constructor(port: number, dpid: number, window = 1024) {
    this.dpid = dpid;
    this.window = window;
    this.templates = Array.from({ length: HOSTS }, (_, h) => packetIn(dpid, h, (h + 1) % HOSTS));
    this.removedTemplate = encodeMessage({
      type: 'FLOW_REMOVED', xid: 0, cookie: 0n, priority: 100, reason: 0, table_id: 0, duration_sec: 1, duration_nsec: 0,
      idle_timeout: 10, hard_timeout: 0, packet_count: 3n, byte_count: 180n, match: [{ field: 'in_port', value: 1 }],
    });
    this.up = new Promise((r) => (this.ready = r));
    this.socket = connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => {});
    this.send({ type: 'HELLO', xid: 1, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << 4] }] });
  }

  /** Each host sends one broadcast so the controller learns where all hosts are. */
  async learnHosts(): Promise<void> {
    const before = this.stats.answered;
    const batch = Buffer.concat(Array.from({ length: HOSTS }, (_, h) => packetIn(this.dpid, h, -1).bytes));
    this.socket.write(batch);
    while (this.stats.answered < before + HOSTS) await new Promise((r) => setTimeout(r, 5));
  }

  /** Keeps `depth` packet-ins outstanding. */
  startThroughput(depth: number): void {
    this.mode = 'throughput';
    this.depth = depth;
    this.refill();
  }

  /** One packet-in at a time, timing each round trip. */
  startLatency(): void {
    this.mode = 'latency';
    this.depth = 1;
    this.refill();
  }

  stop(): void {
    this.mode = 'idle';
  }

  close(): void {
    this.socket.destroy();
  }

  private send(m: OfpMessage): void {
    this.socket.write(encodeMessage(m));
  }

  private refill(): void {
    if (this.mode === 'idle') return;
    const n = this.depth - this.outstanding;
    if (n <= 0) return;
    const removals = Math.max(0, this.cookies.length - this.window);
    const size = this.templates[0].bytes.length;
    const out = Buffer.allocUnsafe(n * size + removals * this.removedTemplate.length);
    let off = 0;
    for (let i = 0; i < removals; i++) {
      this.removedTemplate.copy(out, off);
      this.cookies.shift()!.copy(out, off + 8);
      off += this.removedTemplate.length;
    }
    for (let i = 0; i < n; i++) {
      const s = this.seq++;
      const t = this.templates[s % HOSTS];
      t.bytes.copy(out, off);
      out.writeUInt32BE(s >>> 0, off + 4);
      out.writeUInt16BE(1024 + (Math.floor(s / HOSTS) % 60000), off + t.portAt);
      off += size;
    }
    this.outstanding += n;
    if (this.mode === 'latency') this.sentAt = process.hrtime.bigint();
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    let b = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    let off = 0;
    let answered = 0;
    while (b.length - off >= 8) {
      const type = b[off + 1];
      const len = b.readUInt16BE(off + 2);
      if (b.length - off < len) break;
      if (type === OFPT_PACKET_OUT) answered++;
      else if (type === OFPT_FLOW_MOD) {
        if (b[off + 25] === 0 && b[off + 8] === 0x47) this.cookies.push(Buffer.from(b.subarray(off + 8, off + 16)));
      } else this.control(b.subarray(off, off + len));
      off += len;
    }
    this.tail = off === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
    if (answered === 0) return;
    if (this.mode === 'latency' && this.recordLatency) this.stats.latenciesNs.push(Number(process.hrtime.bigint() - this.sentAt));
    this.stats.answered += answered;
    this.outstanding = Math.max(0, this.outstanding - answered);
    this.refill();
  }

  /** Everything but the hot path: the handshake, echoes, stats requests. */
  private control(bytes: Uint8Array): void {
    const r = decodeMessage(bytes);
    if (!r.ok) return;
    const m = r.message;
    if (m.type === 'FEATURES_REQUEST') this.send({ type: 'FEATURES_REPLY', xid: m.xid, datapath_id: BigInt(this.dpid), n_buffers: 0, n_tables: 254, auxiliary_id: 0, capabilities: 0x4f, reserved: 0 });
    else if (m.type === 'ECHO_REQUEST') this.send({ type: 'ECHO_REPLY', xid: m.xid, data: m.data });
    else if (m.type === 'BARRIER_REQUEST') {
      this.send({ type: 'BARRIER_REPLY', xid: m.xid });
      this.ready();
    } else if (m.type === 'MULTIPART_REQUEST') {
      const body = m.multipart_type === 'PORT_DESC' || m.multipart_type === 'FLOW' ? [] : null;
      if (body) this.send({ type: 'MULTIPART_REPLY', xid: m.xid, flags: 0, multipart_type: m.multipart_type, body } as OfpMessage);
    }
  }
}

/** p-th percentile (0..100) of nanosecond samples, in microseconds. */
export function percentileUs(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = Float64Array.from(samples).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] / 1000;
}

