import test from 'ava';
import { communityId } from '../../pipeline/community-id.ts';
import { parseIP } from '../../pipeline/address.ts';

const ip = (s: string) => parseIP(s)!;

// Published values: Tenzir's community_id documentation, and the community-id-spec baseline.
test('matches published Community IDs', (t) => {
  t.is(communityId({ src: ip('1.2.3.4'), dst: ip('43.3.132.3'), protocol: 6, srcPort: 4584, dstPort: 3483 }), '1:koNcqhFRD5kb254ZrLsdv630jCM=');
  t.is(communityId({ src: ip('1.2.3.4'), dst: ip('43.3.132.3'), protocol: 17 }), '1:7TrrMeH98PrUKC0ySu3RNmpUr48=');
  // ICMPv6 neighbour solicitation (135) pairs with advertisement (136).
  t.is(communityId({ src: ip('fe80::200:86ff:fe05:80da'), dst: ip('fe80::260:97ff:fe07:69ea'), protocol: 58, srcPort: 135, dstPort: 0 }), '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=');
  t.is(communityId({ src: ip('fe80::260:97ff:fe07:69ea'), dst: ip('fe80::200:86ff:fe05:80da'), protocol: 58, srcPort: 136, dstPort: 0 }), '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=');
});

test('both directions of a TCP flow get the same id; another port does not', (t) => {
  const forward = communityId({ src: ip('10.0.0.1'), dst: ip('127.0.0.1'), protocol: 6, srcPort: 1234, dstPort: 80 });
  t.is(communityId({ src: ip('127.0.0.1'), dst: ip('10.0.0.1'), protocol: 6, srcPort: 80, dstPort: 1234 }), forward);
  t.not(communityId({ src: ip('10.0.0.1'), dst: ip('127.0.0.1'), protocol: 6, srcPort: 1235, dstPort: 80 }), forward);
});

test('echo request and reply join; a one-way ICMP type keeps its direction', (t) => {
  const request = communityId({ src: ip('10.0.0.1'), dst: ip('10.0.0.2'), protocol: 1, srcPort: 8, dstPort: 0 });
  t.is(communityId({ src: ip('10.0.0.2'), dst: ip('10.0.0.1'), protocol: 1, srcPort: 0, dstPort: 0 }), request);
  const unreachable = communityId({ src: ip('10.0.0.2'), dst: ip('10.0.0.1'), protocol: 1, srcPort: 3, dstPort: 1 });
  t.not(communityId({ src: ip('10.0.0.1'), dst: ip('10.0.0.2'), protocol: 1, srcPort: 3, dstPort: 1 }), unreachable);
});
