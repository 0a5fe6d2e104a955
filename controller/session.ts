// One OpenFlow 1.3 session with one switch: handshake, echo keepalive, requests by xid,
// packet-ins through the policy, flow-removed / port-status / flow-stats into facts, and
// backpressure (the socket is paused while the fact consumer is busy, so nothing piles up).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { FactConsumer, FlowFact } from '../pipeline/facts.ts';
import type { FlowStats, OfpMessage, Port, DecodeError, PacketIn, FlowRemoved, PortStatus } from '../openflow/index.ts';
import {
  CONTROLLER_ROLE, MESSAGE_TYPE_CODE, OFPG_ANY, OFPP, OFPTT_ALL, PORT_REASON, decodeMessage, emptyFlowRemovedView, emptyPacketInView, encodeInto,
  errorCodes, u64At, viewFlowRemoved, viewPacketIn,
} from '../openflow/index.ts';
import { applyDecision, applyPortGone, decidePacketIn, decidePortGone, emptyState, tableMiss, type PolicyConfig } from './policy.ts';
import { COOKIE_MASK, COOKIE_TAG, cookieOf, hashOfCookie, hashOfCookieWords, isOurFlowCookie } from './flow-id.ts';
import { matchToKey } from './match.ts';
import { dpidText, flowEnd, flowStart, flowUpdate, portInfo } from './facts.ts';
import { FastForward } from './fast-forward.ts';
import { Requests, multipartBodies } from './requests.ts';
import { Wire, errorFor } from './wire.ts';

export type Role = 'equal' | 'master' | 'slave';

export interface SessionOptions {
  policy: PolicyConfig;
  /** Bytes of each table-miss packet sent to us (0xffff: the whole packet). */
  missSendLen: number;
  /** Echo request interval; a switch that misses `echoMisses` in a row is dropped. */
  echoIntervalMs: number;
  echoMisses: number;
  /** How long a request (features, barrier, multipart, ...) may wait for its reply. */
  requestTimeoutMs: number;
  /** Flow-stats polling interval (0: never). */
  statsIntervalMs: number;
  role: Role;
  generationId: bigint;
}

export const DEFAULT_SESSION: Omit<SessionOptions, 'policy'> = {
  missSendLen: 0xffff,
  echoIntervalMs: 5_000,
  echoMisses: 3,
  requestTimeoutMs: 10_000,
  statsIntervalMs: 10_000,
  role: 'equal',
  generationId: 0n,
};

export interface SessionHooks {
  consumer: FactConsumer;
  log: Logger;
  /** The switch said who it is (features reply). */
  identified(session: Session): void;
  closed(session: Session): void;
}

const ROLE_CODE: Record<Role, number> = { equal: CONTROLLER_ROLE.EQUAL, master: CONTROLLER_ROLE.MASTER, slave: CONTROLLER_ROLE.SLAVE };
/** Packet-in reasons NO_MATCH and ACTION; flow-removed reasons idle, hard, delete, group. */
const PACKET_IN_MASK = 0b11;
const PORT_STATUS_MASK = 0b111;
const FLOW_REMOVED_MASK = 0b1111;
const OFPT_PACKET_IN = MESSAGE_TYPE_CODE.PACKET_IN;
const OFPT_FLOW_REMOVED = MESSAGE_TYPE_CODE.FLOW_REMOVED;
const NOTHING = Buffer.alloc(0);

export class Session {
  readonly socket: Socket;
  readonly remote: string;
  datapathId: bigint | undefined;
  readonly state = emptyState();
  log: Logger;
  /** Set once the handshake has finished (switch.up delivered). */
  ready = false;
  closed = false;

  private readonly opts: SessionOptions;
  private readonly hooks: SessionHooks;
  private readonly requests = new Requests();
  private readonly wire = new Wire();
  /** Messages decided while handling one socket read (reused between reads). */
  private readonly out: OfpMessage[] = [];
  private readonly forward: FastForward;
  private readonly packetIn = emptyPacketInView();
  private readonly flowRemoved = emptyFlowRemovedView();
  private readonly timers: NodeJS.Timeout[] = [];
  private helloSeen!: () => void;
  private readonly hello = new Promise<void>((r) => (this.helloSeen = r));
  private delivering = Promise.resolve();
  /** Fact hand-overs not yet finished (later output must wait for them, in order). */
  private inflight = 0;
  /** Reasons to stop reading: pending hand-overs and a full send buffer. */
  private holds = 0;
  private waitingDrain = false;
  private echoMissed = 0;
  /** SET_CONFIG and the table-miss entry have been sent (not as a slave). */
  private inCharge = false;

  constructor(socket: Socket, opts: SessionOptions, hooks: SessionHooks) {
    this.socket = socket;
    this.opts = opts;
    this.hooks = hooks;
    this.forward = new FastForward(this.state, opts.policy);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log = hooks.log.child({ remote: this.remote });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.close(this.wire.pending ? `connection ended inside a message (${this.wire.pending} bytes unread)` : 'connection closed by the switch'));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('connection closed'));
    this.send([{ type: 'HELLO', xid: this.requests.xid(), version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [1 << 4] }] }]);
    this.handshake().catch((err: Error) => this.close(`handshake failed: ${err.message}`));
  }

  /** Sends a request and waits for its reply (all parts, for multipart). */
  request(msg: OfpMessage, what: string, timeoutMs = this.opts.requestTimeoutMs): Promise<OfpMessage[]> {
    const xid = this.requests.xid();
    const reply = this.requests.expect(xid, what, timeoutMs);
    this.send([{ ...msg, xid } as OfpMessage]);
    return reply;
  }

  /** Changes this controller's role for the switch (ROLE_REQUEST with a generation id). */
  async setRole(role: Role, generationId: bigint): Promise<void> {
    const [reply] = await this.request({ type: 'ROLE_REQUEST', xid: 0, role: ROLE_CODE[role], generation_id: generationId }, `role ${role}`);
    if (reply.type === 'ROLE_REPLY') this.log.info({ role, generationId: String(reply.generation_id) }, 'role set');
    // A slave promoted after its handshake has not configured the switch yet.
    if (role !== 'slave' && this.ready && !this.inCharge) this.takeCharge();
  }

  /** What only a master (or equal) may do: packet-in size and the table-miss entry. */
  private takeCharge(): void {
    this.inCharge = true;
    this.send([{ type: 'SET_CONFIG', xid: 0, flags: 0, miss_send_len: this.opts.missSendLen }, tableMiss()]);
  }

  /** Reads flow statistics of our entries and reports them as flow updates. */
  async pollFlows(): Promise<void> {
    const parts = await this.request(
      {
        type: 'MULTIPART_REQUEST', xid: 0, flags: 0, multipart_type: 'FLOW',
        body: { table_id: OFPTT_ALL, out_port: OFPP.ANY, out_group: OFPG_ANY, cookie: COOKIE_TAG, cookie_mask: COOKIE_MASK, match: [] },
      },
      'flow stats',
    );
    const now = Date.now();
    const facts: FlowFact[] = [];
    for (const s of multipartBodies<FlowStats>(parts)) {
      if (!isOurFlowCookie(s.cookie)) continue;
      // An entry we did not know about was installed before a restart: adopt it, so a
      // later packet-in for it does not start it a second time.
      const hash = hashOfCookie(s.cookie);
      const key = this.state.flows.get(hash) ?? matchToKey(s.match);
      if (!key) continue;
      this.state.flows.set(hash, key);
      facts.push(flowUpdate(now, this.datapathId!, s.cookie, key, s.packet_count, s.byte_count, s.duration_sec, s.duration_nsec));
    }
    this.deliver(facts, NOTHING);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.requests.close(`session closed: ${reason}`);
    this.socket.destroy();
    this.log.info({ reason }, 'session closed');
    if (this.ready) {
      const fact: FlowFact = { kind: 'switch.down', time: Date.now(), datapathId: this.datapathId!, reason };
      this.delivering = this.delivering.then(() => this.hooks.consumer.consume([fact])).catch((err: Error) => this.log.error({ err: err.message }, 'fact consumer failed'));
    }
    this.hooks.closed(this);
  }

  /** Resolves when every fact handed over so far has been consumed. */
  drained(): Promise<void> {
    return this.delivering;
  }

  private async handshake(): Promise<void> {
    await within(this.hello, this.opts.requestTimeoutMs, 'no HELLO from the switch');
    const [features] = await this.request({ type: 'FEATURES_REQUEST', xid: 0 }, 'features');
    if (features.type !== 'FEATURES_REPLY') throw new Error(`expected FEATURES_REPLY, got ${features.type}`);
    this.datapathId = features.datapath_id;
    this.log = this.hooks.log.child({ dpid: dpidText(features.datapath_id), remote: this.remote });
    this.hooks.identified(this);
    if (this.opts.role !== 'equal') await this.setRole(this.opts.role, this.opts.generationId);
    // Fire-and-forget configuration; the barrier below orders it (an error for any of it
    // arrives before the barrier reply and is logged).
    this.send([{
      type: 'SET_ASYNC', xid: 0,
      packet_in_mask: [PACKET_IN_MASK, 0], port_status_mask: [PORT_STATUS_MASK, PORT_STATUS_MASK], flow_removed_mask: [FLOW_REMOVED_MASK, 0],
    }]);
    if (this.opts.role !== 'slave') this.takeCharge();
    const [ports] = await Promise.all([
      this.request({ type: 'MULTIPART_REQUEST', xid: 0, flags: 0, multipart_type: 'PORT_DESC', body: null }, 'port description'),
      this.request({ type: 'BARRIER_REQUEST', xid: 0 }, 'barrier'),
    ]);
    if (this.closed) return;
    this.ready = true;
    const portList = multipartBodies<Port>(ports).map(portInfo);
    this.log.info({ ports: portList.length, role: this.opts.role }, 'switch up');
    this.deliver([{ kind: 'switch.up', time: Date.now(), datapathId: this.datapathId, address: this.remote, ports: portList }], NOTHING);
    this.timers.push(setInterval(() => this.keepalive(), this.opts.echoIntervalMs));
    const poll = () => this.pollFlows().catch((err: Error) => this.closed || this.log.warn({ err: err.message }, 'flow-stats poll failed'));
    // The first poll right away: entries installed before a restart become known.
    poll();
    if (this.opts.statsIntervalMs > 0) this.timers.push(setInterval(poll, this.opts.statsIntervalMs));
  }

  private keepalive(): void {
    // An echo unanswered by the next one counts as missed.
    this.request({ type: 'ECHO_REQUEST', xid: 0, data: new Uint8Array(0) }, 'echo', this.opts.echoIntervalMs).then(
      () => (this.echoMissed = 0),
      () => {
        if (this.closed) return;
        // While we are not reading (backpressure) the reply may simply be unread.
        if (this.holds > 0) return;
        this.echoMissed++;
        this.log.warn({ missed: this.echoMissed }, 'echo reply missing');
        if (this.echoMissed >= this.opts.echoMisses) this.close(`no echo reply ${this.echoMissed} times in a row`);
      },
    );
  }

  /**
   * Handles every whole message of one socket read. What they earn is encoded as they are
   * handled, into one buffer, sent with one write once their facts have been consumed.
   */
  private onData(chunk: Buffer): void {
    const facts: FlowFact[] = [];
    const now = Date.now();
    this.wire.replies.reset();
    for (const frame of this.wire.frames(chunk)) {
      if (!(frame instanceof Uint8Array)) return this.malformed(frame, new Uint8Array(0));
      try {
        if (this.fast(frame as Buffer, facts, now)) continue;
      } catch (err) {
        return this.encodeFailed(err as Error);
      }
      const r = decodeMessage(frame);
      if (!r.ok) return this.malformed(r.error, frame);
      this.handle(r.message, this.out, facts, now);
      if (this.closed) return;
      if (this.out.length > 0 && !this.reply()) return;
    }
    this.deliver(facts, this.wire.replies.finish());
  }

  /**
   * The hot path: PACKET_IN and FLOW_REMOVED read straight from their bytes, and the common
   * forwarding decisions written straight into the reply (FastForward). False: this message
   * takes the general path (decode, handle, encode), which also names any error in it.
   */
  private fast(frame: Buffer, facts: FlowFact[], now: number): boolean {
    const type = frame[1];
    if (type === OFPT_PACKET_IN) {
      const v = this.packetIn;
      if (!viewPacketIn(frame, v)) return false;
      if (this.datapathId === undefined || this.opts.role === 'slave') return true;
      const outcome = this.forward.packetIn(frame, v.dataAt, frame.length, v.inPort, v.bufferId, this.wire.replies, this.requests);
      if (outcome === 'installed') {
        facts.push(flowStart(now, this.datapathId, cookieOf(this.forward.hash), this.forward.key!, frame.subarray(v.dataAt), v.totalLen));
      }
      return outcome !== 'general';
    }
    if (type === OFPT_FLOW_REMOVED) {
      const v = this.flowRemoved;
      if (!viewFlowRemoved(frame, v)) return false;
      if (this.datapathId === undefined) return true;
      // Not one of our cookies, or an entry we do not know: onFlowRemoved decides.
      const hash = hashOfCookieWords(v.cookieHigh, v.cookieLow);
      const key = hash < 0 ? undefined : this.state.flows.get(hash);
      if (key === undefined) return false;
      this.state.flows.delete(hash);
      const packets = u64At(frame, v.countsAt);
      const bytes = u64At(frame, v.countsAt + 8);
      facts.push(flowEnd(now, this.datapathId, cookieOf(hash), key, packets, bytes, v.durationSec, v.durationNsec, v.reason, v.idleTimeout, v.hardTimeout));
      return true;
    }
    return false;
  }

  /** Encodes `out` into this read's reply (xid 0: numbered now) and empties it. */
  private reply(): boolean {
    try {
      for (const m of this.out) {
        if (m.xid === 0) m.xid = this.requests.xid();
        encodeInto(this.wire.replies, m);
      }
      this.out.length = 0;
      return true;
    } catch (err) {
      this.out.length = 0;
      this.encodeFailed(err as Error);
      return false;
    }
  }

  /** The general path for one decoded message; its facts carry `now`, the time of the socket read, as the hot path's do. */
  private handle(msg: OfpMessage, out: OfpMessage[], facts: FlowFact[], now: number): void {
    switch (msg.type) {
      case 'HELLO':
        return this.onHello(msg);
      case 'ECHO_REQUEST':
        out.push({ type: 'ECHO_REPLY', xid: msg.xid, data: msg.data });
        return;
      case 'PACKET_IN':
        return this.onPacketIn(msg, out, facts, now);
      case 'FLOW_REMOVED':
        return this.onFlowRemoved(msg, facts, now);
      case 'PORT_STATUS':
        return this.onPortStatus(msg, out, facts, now);
      case 'ERROR':
        if (!this.requests.settle(msg)) this.log.warn({ xid: msg.xid, errType: msg.err_type, code: msg.code }, 'error from switch');
        return;
      default:
        if (!this.requests.settle(msg)) this.log.debug({ type: msg.type, xid: msg.xid }, 'unsolicited message ignored');
    }
  }

  private onHello(msg: Extract<OfpMessage, { type: 'HELLO' }>): void {
    const bitmap = msg.elements.find((e) => e.type === 'VERSIONBITMAP');
    const ok = bitmap && bitmap.type === 'VERSIONBITMAP' ? ((bitmap.bitmaps[0] ?? 0) & (1 << 4)) !== 0 : msg.version >= 4;
    if (!ok) {
      const text = new TextEncoder().encode('only OpenFlow 1.3 (version 4) is supported');
      this.send([{ type: 'ERROR', xid: msg.xid, ...errorCodes('HELLO_FAILED', 'INCOMPATIBLE'), data: text }]);
      this.close(`switch does not speak OpenFlow 1.3 (HELLO version ${msg.version})`);
      return;
    }
    this.helloSeen();
  }

  private onPacketIn(msg: PacketIn, out: OfpMessage[], facts: FlowFact[], now: number): void {
    if (this.datapathId === undefined || this.opts.role === 'slave') return;
    const inPort = inPortOf(msg);
    if (inPort === undefined) return;
    const decision = decidePacketIn(this.state, this.opts.policy, { inPort, bufferId: msg.buffer_id, data: msg.data });
    applyDecision(this.state, decision);
    for (const m of decision.messages) out.push(m);
    if (decision.install) facts.push(flowStart(now, this.datapathId, decision.install.id, decision.install.key, msg.data, msg.total_len));
  }

  private onFlowRemoved(msg: FlowRemoved, facts: FlowFact[], now: number): void {
    if (this.datapathId === undefined) return;
    if (!isOurFlowCookie(msg.cookie)) return;
    const hash = hashOfCookie(msg.cookie);
    const key = this.state.flows.get(hash) ?? matchToKey(msg.match);
    this.state.flows.delete(hash);
    if (!key) return;
    facts.push(flowEnd(now, this.datapathId, msg.cookie, key, msg.packet_count, msg.byte_count, msg.duration_sec, msg.duration_nsec, msg.reason, msg.idle_timeout, msg.hard_timeout));
  }

  private onPortStatus(msg: PortStatus, out: OfpMessage[], facts: FlowFact[], now: number): void {
    if (this.datapathId === undefined) return;
    const reason = msg.reason === PORT_REASON.ADD ? 'add' : msg.reason === PORT_REASON.DELETE ? 'delete' : 'modify';
    facts.push({ kind: 'port.status', time: now, datapathId: this.datapathId, reason, port: portInfo(msg.desc) });
    if (reason === 'delete' && this.opts.role !== 'slave') {
      for (const m of decidePortGone(this.state, msg.desc.port_no)) out.push(m);
      applyPortGone(this.state, msg.desc.port_no);
    }
  }

  /** A message we cannot decode: answer with OFPT_ERROR where the spec asks, then close. */
  private malformed(error: DecodeError, bytes: Uint8Array): void {
    const reply = errorFor(error, bytes);
    this.log.warn({ code: error.code, err: error.message }, 'malformed message from switch');
    if (reply) this.send([reply]);
    this.close(`malformed message: ${error.message}`);
  }

  /**
   * Hands facts to the consumer and then sends `out` (encoded messages): an event is recorded
   * before the packets it describes are forwarded. While any hand-over is pending, the socket
   * is paused.
   */
  private deliver(facts: FlowFact[], out: Buffer): void {
    if (facts.length === 0 && this.inflight === 0) {
      this.write(out);
      return;
    }
    this.inflight++;
    this.hold();
    this.delivering = this.delivering
      .then(() => (facts.length ? this.hooks.consumer.consume(facts) : undefined))
      .catch((err: Error) => this.log.error({ err: err.message, facts: facts.length }, 'fact consumer failed; forwarding anyway'))
      .then(() => {
        this.inflight--;
        this.write(out);
        this.release();
      });
  }

  private send(msgs: OfpMessage[]): void {
    if (this.closed || msgs.length === 0) return;
    for (const m of msgs) if (m.xid === 0) m.xid = this.requests.xid();
    let bytes: Buffer;
    try {
      bytes = this.wire.encode(msgs);
    } catch (err) {
      return this.encodeFailed(err as Error);
    }
    this.write(bytes);
  }

  /** A message we cannot encode is our bug: it ends this session, not the controller. */
  private encodeFailed(err: Error): void {
    this.log.error({ err: err.message }, 'could not encode a message');
    this.close(`internal error: ${err.message}`);
  }

  private write(bytes: Buffer): void {
    if (this.closed || bytes.length === 0) return;
    // A switch that does not read what we send gets nothing more read from it either, so
    // our send buffer stays bounded by what one read can cause.
    if (!this.socket.write(bytes) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.hold();
      this.socket.once('drain', () => {
        this.waitingDrain = false;
        this.release();
      });
    }
  }

  private hold(): void {
    if (this.holds++ === 0) this.socket.pause();
  }

  private release(): void {
    if (--this.holds === 0 && !this.closed) this.socket.resume();
  }
}

function inPortOf(msg: PacketIn): number | undefined {
  for (const f of msg.match) if (f.field === 'in_port') return Number(f.value);
  return undefined;
}

/** Waits for `p` at most `ms`, clearing its timer either way. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

