// One OpenFlow 1.3 session with one switch: handshake, echo keepalive, requests by xid,
// packet-ins through the policy, flow-removed / port-status / flow-stats into facts, and
// backpressure (the socket is paused while the fact consumer is busy, so nothing piles up).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { FactConsumer, FlowFact } from '../pipeline/facts.ts';
import type { FlowStats, OfpMessage, Port, DecodeError, PacketIn, FlowRemoved, PortStatus } from '../openflow/index.ts';
import { CONTROLLER_ROLE, OFPG_ANY, OFPP, OFPTT_ALL, PORT_REASON, errorCodes } from '../openflow/index.ts';
import { applyDecision, applyPortGone, decidePacketIn, decidePortGone, emptyState, tableMiss, type PolicyConfig } from './policy.ts';
import { COOKIE_MASK, COOKIE_TAG, hashOfCookie, isOurFlowCookie } from './flow-id.ts';
import { matchToKey } from './match.ts';
import { counters, dpidText, endReason, portInfo } from './facts.ts';
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
      facts.push({ kind: 'flow.update', time: now, datapathId: this.datapathId!, flowId: s.cookie, key, counters: counters(s.packet_count, s.byte_count), durationSeconds: s.duration_sec + s.duration_nsec / 1e9 });
    }
    this.deliver(facts, []);
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
    this.deliver([{ kind: 'switch.up', time: Date.now(), datapathId: this.datapathId, address: this.remote, ports: portList }], []);
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

  private onData(chunk: Buffer): void {
    const out: OfpMessage[] = [];
    const facts: FlowFact[] = [];
    for (const r of this.wire.push(chunk)) {
      if (!r.ok) return this.malformed(r.error, r.bytes);
      this.handle(r.message, out, facts);
      if (this.closed) return;
    }
    this.deliver(facts, out);
  }

  private handle(msg: OfpMessage, out: OfpMessage[], facts: FlowFact[]): void {
    switch (msg.type) {
      case 'HELLO':
        return this.onHello(msg);
      case 'ECHO_REQUEST':
        out.push({ type: 'ECHO_REPLY', xid: msg.xid, data: msg.data });
        return;
      case 'PACKET_IN':
        return this.onPacketIn(msg, out, facts);
      case 'FLOW_REMOVED':
        return this.onFlowRemoved(msg, facts);
      case 'PORT_STATUS':
        return this.onPortStatus(msg, out, facts);
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

  private onPacketIn(msg: PacketIn, out: OfpMessage[], facts: FlowFact[]): void {
    if (this.datapathId === undefined || this.opts.role === 'slave') return;
    const inPort = inPortOf(msg);
    if (inPort === undefined) return;
    const decision = decidePacketIn(this.state, this.opts.policy, { inPort, bufferId: msg.buffer_id, data: msg.data });
    applyDecision(this.state, decision);
    for (const m of decision.messages) out.push(m);
    if (decision.install) {
      facts.push({
        kind: 'flow.start', time: Date.now(), datapathId: this.datapathId, flowId: decision.install.id, key: decision.install.key,
        // A copy: a view would pin the whole socket read (64 KiB) for as long as the consumer keeps it.
        frame: msg.data.slice(), frameLength: msg.total_len,
      });
    }
  }

  private onFlowRemoved(msg: FlowRemoved, facts: FlowFact[]): void {
    if (this.datapathId === undefined) return;
    if (!isOurFlowCookie(msg.cookie)) return;
    const hash = hashOfCookie(msg.cookie);
    const key = this.state.flows.get(hash) ?? matchToKey(msg.match);
    this.state.flows.delete(hash);
    if (!key) return;
    facts.push({
      kind: 'flow.end', time: Date.now(), datapathId: this.datapathId, flowId: msg.cookie, key,
      counters: counters(msg.packet_count, msg.byte_count), durationSeconds: msg.duration_sec + msg.duration_nsec / 1e9,
      reason: endReason(msg.reason), idleTimeout: msg.idle_timeout, hardTimeout: msg.hard_timeout,
    });
  }

  private onPortStatus(msg: PortStatus, out: OfpMessage[], facts: FlowFact[]): void {
    if (this.datapathId === undefined) return;
    const reason = msg.reason === PORT_REASON.ADD ? 'add' : msg.reason === PORT_REASON.DELETE ? 'delete' : 'modify';
    facts.push({ kind: 'port.status', time: Date.now(), datapathId: this.datapathId, reason, port: portInfo(msg.desc) });
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
   * Hands facts to the consumer and then sends `out`: an event is recorded before the
   * packets it describes are forwarded. While any hand-over is pending, the socket is paused.
   */
  private deliver(facts: FlowFact[], out: OfpMessage[]): void {
    if (facts.length === 0 && this.inflight === 0) {
      this.send(out);
      return;
    }
    this.inflight++;
    this.hold();
    this.delivering = this.delivering
      .then(() => (facts.length ? this.hooks.consumer.consume(facts) : undefined))
      .catch((err: Error) => this.log.error({ err: err.message, facts: facts.length }, 'fact consumer failed; forwarding anyway'))
      .then(() => {
        this.inflight--;
        this.send(out);
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
      // A message we cannot encode is our bug: it ends this session, not the controller.
      this.log.error({ err: (err as Error).message }, 'could not encode a message');
      this.close(`internal error: ${(err as Error).message}`);
      return;
    }
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

