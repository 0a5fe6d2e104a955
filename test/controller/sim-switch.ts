// A small simulated OpenFlow switch for testing the policy without a socket: a flow table
// with priority lookup, non-strict delete and out_port filters, packet-outs, and a log of
// what each port emitted. Packets missing the table go to the policy as packet-ins.
import type { Action, FlowMod, Match, OfpMessage } from '../../openflow/index.ts';
import { FLOW_MOD_COMMAND, OFP_NO_BUFFER, OFPP } from '../../openflow/index.ts';
import { applyDecision, decidePacketIn, emptyState, type PolicyConfig, DEFAULT_POLICY } from '../../controller/policy.ts';
import { frameKey } from '../../controller/frame-key.ts';
import { keyToMatch } from '../../controller/match.ts';

interface Entry {
  mod: FlowMod;
  packets: number;
}

export class SimSwitch {
  readonly ports: number[];
  readonly config: PolicyConfig;
  readonly state = emptyState();
  table: Entry[] = [];
  /** Every message the policy sent, in order. */
  sent: OfpMessage[] = [];
  /** Frames that left each port. */
  out = new Map<number, Uint8Array[]>();
  packetIns = 0;
  /** When set, packet-ins carry buffer ids and buffered packets wait here. */
  buffering: boolean;
  private buffers = new Map<number, { inPort: number; frame: Uint8Array }>();
  private nextBuffer = 1;

  constructor(ports: number[], opts: { config?: PolicyConfig; buffering?: boolean } = {}) {
    this.ports = ports;
    this.config = opts.config ?? DEFAULT_POLICY;
    this.buffering = opts.buffering ?? false;
    for (const p of ports) this.out.set(p, []);
  }

  /** A frame arrives on a port. */
  receive(inPort: number, frame: Uint8Array): void {
    const entry = this.lookup(inPort, frame);
    if (entry) {
      entry.packets++;
      this.apply(entry.mod.instructions, inPort, frame);
      return;
    }
    this.packetIns++;
    let bufferId = OFP_NO_BUFFER;
    if (this.buffering) {
      bufferId = this.nextBuffer++;
      this.buffers.set(bufferId, { inPort, frame });
    }
    const decision = decidePacketIn(this.state, this.config, { inPort, bufferId, data: frame });
    applyDecision(this.state, decision);
    for (const m of decision.messages) this.execute(m);
  }

  /** Clears what the ports emitted. */
  drain(): Map<number, Uint8Array[]> {
    const out = this.out;
    this.out = new Map(this.ports.map((p) => [p, []]));
    return out;
  }

  private lookup(inPort: number, frame: Uint8Array): Entry | undefined {
    const parsed = frameKey(frame, inPort);
    if (!parsed) return undefined;
    const fields = keyToMatch(parsed.key);
    const has = (f: Match[number]) => f.field !== 'raw' && fields.some((p) => p.field === f.field && p.value === f.value);
    let best: Entry | undefined;
    for (const e of this.table) {
      if (e.mod.match.every(has) && (!best || e.mod.priority > best.mod.priority)) best = e;
    }
    return best;
  }

  private execute(m: OfpMessage): void {
    this.sent.push(m);
    if (m.type === 'FLOW_MOD') {
      if (m.command === FLOW_MOD_COMMAND.ADD) {
        this.table = this.table.filter((e) => !(e.mod.priority === m.priority && sameMatch(e.mod.match, m.match)));
        this.table.push({ mod: m, packets: 0 });
        if (m.buffer_id !== OFP_NO_BUFFER) {
          const b = this.takeBuffer(m.buffer_id);
          this.table[this.table.length - 1].packets++;
          this.apply(m.instructions, b.inPort, b.frame);
        }
      } else if (m.command === FLOW_MOD_COMMAND.DELETE) {
        this.table = this.table.filter((e) => !(covers(m.match, e.mod.match) && (m.out_port === OFPP.ANY || outputs(e.mod).includes(m.out_port))));
      }
    } else if (m.type === 'PACKET_OUT') {
      const frame = m.buffer_id === OFP_NO_BUFFER ? m.data : this.takeBuffer(m.buffer_id).frame;
      this.output(m.actions, m.in_port, frame);
    }
  }

  private takeBuffer(id: number) {
    const b = this.buffers.get(id);
    if (!b) throw new Error(`unknown buffer ${id}`);
    this.buffers.delete(id);
    return b;
  }

  private apply(instructions: FlowMod['instructions'], inPort: number, frame: Uint8Array): void {
    for (const i of instructions) if (i.type === 'APPLY_ACTIONS') this.output(i.actions, inPort, frame);
  }

  private output(actions: Action[], inPort: number, frame: Uint8Array): void {
    for (const a of actions) {
      if (a.type !== 'OUTPUT') continue;
      const targets = a.port === OFPP.FLOOD ? this.ports.filter((p) => p !== inPort) : [a.port];
      for (const p of targets) this.out.get(p)?.push(frame);
    }
  }
}

function outputs(mod: FlowMod): number[] {
  return mod.instructions.flatMap((i) => (i.type === 'APPLY_ACTIONS' ? i.actions.flatMap((a) => (a.type === 'OUTPUT' ? [a.port] : [])) : []));
}

function sameMatch(a: Match, b: Match): boolean {
  return a.length === b.length && covers(a, b);
}

/** Non-strict delete semantics: every field of `filter` is in `match` with the same value. */
function covers(filter: Match, match: Match): boolean {
  return filter.every((f) => f.field !== 'raw' && match.some((m) => m.field === f.field && m.value === f.value));
}
