// An OpenFlow 1.3 switch end over a real TCP (or TLS) socket, driven by the test: it answers
// the controller's handshake like OVS does (unless told not to) and records what it gets.
// Used where OVS cannot be made to misbehave: bad versions, garbage, missed echoes, split
// multipart replies, all-ones counters.
import { connect, type Socket } from 'node:net';
import { OFP_NO_BUFFER, OfpFramer, decodeMessage, encodeMessage } from '../../openflow/index.ts';
import type { FlowStats, OfpMessage, Port } from '../../openflow/index.ts';
import { sleep } from '../support/ovs.ts';

export interface FakeOptions {
  datapathId?: bigint;
  /** HELLO version and bitmap to announce (default OF1.3). */
  helloVersion?: number;
  helloBitmap?: number | null;
  /** Answer echo requests (default true). */
  answerEcho?: boolean;
  /** Flow stats to report, split into parts of this many entries with REPLY_MORE. */
  flowStats?: FlowStats[];
  flowStatsPerPart?: number;
  ports?: Port[];
}

export class FakeSwitch {
  readonly socket: Socket;
  readonly received: OfpMessage[] = [];
  readonly opts: FakeOptions;
  closed = false;
  private readonly framer = new OfpFramer();

  private constructor(socket: Socket, opts: FakeOptions) {
    this.socket = socket;
    this.opts = opts;
    socket.on('data', (chunk) => {
      for (const frame of this.framer.push(chunk)) {
        if (!(frame instanceof Uint8Array)) return;
        const r = decodeMessage(frame);
        if (r.ok) this.onMessage(r.message);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async connect(port: number, opts: FakeOptions = {}, host = '127.0.0.1'): Promise<FakeSwitch> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const sw = new FakeSwitch(socket, opts);
    const bitmap = opts.helloBitmap === undefined ? 1 << 4 : opts.helloBitmap;
    sw.send({ type: 'HELLO', xid: 1, version: opts.helloVersion ?? 4, elements: bitmap === null ? [] : [{ type: 'VERSIONBITMAP', bitmaps: [bitmap] }] });
    return sw;
  }

  send(msg: OfpMessage): void {
    this.sendRaw(encodeMessage(msg));
  }

  /** A table-miss packet-in of a whole frame (no buffer), as OVS sends it. */
  packetIn(inPort: number, frame: Uint8Array): void {
    this.send({
      type: 'PACKET_IN', xid: 0, buffer_id: OFP_NO_BUFFER, total_len: frame.length, reason: 0, table_id: 0, cookie: 0n,
      match: [{ field: 'in_port', value: inPort }], data: frame,
    });
  }

  sendRaw(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Waits (bounded) until a message matching `pred` has arrived. */
  async waitFor<T extends OfpMessage>(pred: (m: OfpMessage) => m is T, ms?: number): Promise<T>;
  async waitFor(pred: (m: OfpMessage) => boolean, ms?: number): Promise<OfpMessage>;
  async waitFor(pred: (m: OfpMessage) => boolean, ms = 3_000): Promise<OfpMessage> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      if (Date.now() > end) throw new Error(`fake switch: no matching message within ${ms} ms (got ${this.received.map((r) => r.type).join(', ')})`);
      await sleep(10);
    }
  }

  async waitClosed(ms = 3_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('fake switch: still connected');
      await sleep(10);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private onMessage(m: OfpMessage): void {
    this.received.push(m);
    const dpid = this.opts.datapathId ?? 1n;
    switch (m.type) {
      case 'FEATURES_REQUEST':
        return this.send({ type: 'FEATURES_REPLY', xid: m.xid, datapath_id: dpid, n_buffers: 0, n_tables: 254, auxiliary_id: 0, capabilities: 0x4f, reserved: 0 });
      case 'BARRIER_REQUEST':
        return this.send({ type: 'BARRIER_REPLY', xid: m.xid });
      case 'ECHO_REQUEST':
        if (this.opts.answerEcho ?? true) this.send({ type: 'ECHO_REPLY', xid: m.xid, data: m.data });
        return;
      case 'ROLE_REQUEST':
        return this.send({ type: 'ROLE_REPLY', xid: m.xid, role: m.role, generation_id: m.generation_id });
      case 'MULTIPART_REQUEST':
        if (m.multipart_type === 'PORT_DESC') return this.send({ type: 'MULTIPART_REPLY', xid: m.xid, flags: 0, multipart_type: 'PORT_DESC', body: this.opts.ports ?? [] });
        if (m.multipart_type === 'FLOW') {
          const all = this.opts.flowStats ?? [];
          const per = this.opts.flowStatsPerPart ?? (all.length || 1);
          for (let i = 0; i < Math.max(all.length, 1); i += per) {
            const more = i + per < all.length;
            this.send({ type: 'MULTIPART_REPLY', xid: m.xid, flags: more ? 1 : 0, multipart_type: 'FLOW', body: all.slice(i, i + per) });
          }
        }
        return;
      default:
    }
  }
}
