// FastForward (the hot path's packet-in decisions, written straight into bytes) against the
// policy it stands in for: decidePacketIn + applyDecision + the general encoder, over
// generated frames, hosts, buffer ids and configurations. Where it decides, the bytes, the
// xids and the state change are the same; everything else it leaves alone.
import test from 'ava';
import { BufferWriter, encodeInto, OFP_NO_BUFFER } from '../../openflow/index.ts';
import { applyDecision, decidePacketIn, emptyState, type PolicyConfig, type SwitchState } from '../../controller/policy.ts';
import { FastForward } from '../../controller/fast-forward.ts';
import { seededRandom } from '../../pipeline/traffic-generator.ts';
import { arpRequest, icmpEcho, ipv4, ipv6, tcp, udp, type FrameSpec } from './frames.ts';

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const HOSTS = Array.from({ length: 6 }, (_, i) => ({ mac: `02:00:00:00:00:0${i + 1}`, port: 1 + (i % 4) }));
const OTHERS = ['02:00:00:00:00:99', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33:33:00:00:00:01'];
const v6 = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), last];

function randomFrame(r: Rand): { frame: Uint8Array; inPort: number } {
  const src = r() < 0.9 ? pick(r, HOSTS) : { mac: pick(r, OTHERS), port: 1 };
  const dst = r() < 0.85 ? pick(r, HOSTS).mac : pick(r, OTHERS);
  const spec: FrameSpec = { src: src.mac, dst, ...(r() < 0.2 ? { vlan: int(r, 0x10000) } : {}) };
  const ports = () => [int(r, 0x10000), int(r, 0x10000)] as const;
  let frame: Uint8Array;
  switch (int(r, 10)) {
    case 0: frame = ipv4(spec, '10.0.0.1', `10.0.${int(r, 3)}.${int(r, 256)}`, 17, udp(...ports())); break;
    case 1: frame = ipv4(spec, '10.0.0.2', '10.0.0.3', 1, icmpEcho(pick(r, [0, 8] as const))); break;
    case 2: frame = ipv4(spec, '10.0.0.2', '10.0.0.3', pick(r, [47, 58, 132]), [1, 2, 3, 4]); break;
    case 3: frame = ipv4(spec, '10.0.0.2', '10.0.0.3', 6, tcp(...ports()), { fragOffset: pick(r, [0x2000, 0x0001, 0x4000]) }); break;
    case 4: frame = ipv6(spec, v6(1), v6(int(r, 256)), pick(r, [6, 17]), tcp(...ports())); break;
    case 5: frame = ipv6(spec, v6(2), v6(3), pick(r, [58, 0, 43]), icmpEcho(8)); break;
    case 6: frame = arpRequest(spec, '10.0.0.1', '10.0.0.2'); break;
    case 7: { // cut anywhere, headers included
      const whole = ipv4(spec, '10.0.0.1', '10.0.0.2', pick(r, [6, 17, 1]), tcp(...ports()));
      frame = whole.subarray(0, int(r, whole.length + 1));
      break;
    }
    default: frame = ipv4(spec, '10.0.0.1', `10.0.0.${int(r, 256)}`, 6, tcp(...ports()));
  }
  return { frame, inPort: r() < 0.85 ? src.port : 1 + int(r, 5) };
}

function copyState(s: SwitchState): SwitchState {
  const copy = emptyState();
  for (const [mac, port] of s.macs) copy.macs.set(mac, port);
  for (const [hash, key] of s.flows) copy.flows.set(hash, key);
  return copy;
}

/** The state as text, keys' field order included (it shows in the events' JSON). */
const stateText = (s: SwitchState) => JSON.stringify([[...s.macs], [...s.flows]]);

test('FastForward writes the bytes and makes the state change of decidePacketIn + the encoder, or leaves the packet-in alone', (t) => {
  const r = seededRandom(3);
  const counts = { general: 0, forwarded: 0, installed: 0, installedBuffered: 0, installedVlan: 0, installedV6: 0, installedIcmp: 0 };
  for (let round = 0; round < 40; round++) {
    const config: PolicyConfig = { idleTimeout: int(r, 0x10000), hardTimeout: int(r, 0x10000), priority: int(r, 0x10000) };
    // Most hosts learned where they are; the rest still unknown.
    const state = emptyState();
    for (const h of HOSTS) if (r() < 0.8) state.macs.set(h.mac, h.port);
    let last = randomFrame(r);
    for (let i = 0; i < 500; i++) {
      // Now and then the same packet again: a flow already installed.
      const { frame, inPort } = (last = r() < 0.15 ? last : randomFrame(r));
      const bufferId = r() < 0.7 ? OFP_NO_BUFFER : int(r, 0xffffffff);
      // The frame sits inside a larger buffer, as it does inside a packet-in.
      const before = int(r, 40);
      const packet = Buffer.concat([Buffer.alloc(before, 0xee), frame, Buffer.alloc(int(r, 3), 0xdd)]);
      let xid = 1 + int(r, 1000);
      const firstXid = xid;
      const stateBefore = stateText(state);

      const fastState = copyState(state);
      const fast = new FastForward(fastState, config);
      const fastOut = new BufferWriter(16);
      let fastXid = xid;
      const outcome = fast.packetIn(packet, before, before + frame.length, inPort, bufferId, fastOut, { xid: () => fastXid++ });

      const decision = decidePacketIn(state, config, { inPort, bufferId, data: frame });
      const general = new BufferWriter(16);
      for (const m of decision.messages) encodeInto(general, { ...m, xid: xid++ });
      applyDecision(state, decision);

      counts[outcome]++;
      if (outcome === 'general') {
        if (fastOut.pos !== 0 || fastXid !== firstXid || stateText(fastState) !== stateBefore) return t.fail('a general outcome wrote or changed something');
        continue;
      }
      const same = fastOut.finish().equals(general.finish()) && fastXid === xid && stateText(fastState) === stateText(state);
      if (!same) return t.fail(`differs from the general path: ${Buffer.from(frame).toString('hex')} in_port ${inPort} buffer ${bufferId}`);
      t.is(outcome === 'installed', decision.install !== undefined);
      if (outcome === 'installed') {
        t.is(fast.hash, decision.install!.hash);
        t.is(JSON.stringify(fast.key), JSON.stringify(decision.install!.key));
        counts.installedBuffered += bufferId === OFP_NO_BUFFER ? 0 : 1;
        counts.installedVlan += fast.key!.vlanId === undefined ? 0 : 1;
        counts.installedV6 += fast.key!.ethType === 0x86dd && fast.key!.ipSrc !== undefined ? 1 : 0;
        counts.installedIcmp += fast.key!.icmpType === undefined ? 0 : 1;
      }
    }
  }
  t.log(counts);
  for (const [what, n] of Object.entries(counts)) t.true(n >= 20, `${what}: ${n}`);
});

test('a general outcome leaves the state and the output untouched', (t) => {
  const state = emptyState();
  const fast = new FastForward(state, { idleTimeout: 10, hardTimeout: 0, priority: 100 });
  const out = new BufferWriter(16);
  const frame = Buffer.from(ipv4({ src: HOSTS[0]!.mac, dst: HOSTS[1]!.mac }, '10.0.0.1', '10.0.0.2', 6, tcp(1, 2)));
  // Nothing learned yet: learning is decidePacketIn's.
  t.is(fast.packetIn(frame, 0, frame.length, 1, OFP_NO_BUFFER, out, { xid: () => 1 }), 'general');
  t.is(out.pos, 0);
  t.is(state.macs.size + state.flows.size, 0);
});
