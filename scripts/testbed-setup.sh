#!/usr/bin/env bash
# Prepares this machine for GhostBridge's integration tests (root, Debian): installs Open
# vSwitch, btrfs-progs and the traffic tools, starts OVS, and mounts a btrfs loop file at
# $GHOSTBRIDGE_TEST_BTRFS (default /mnt/ghostbridge-test). Safe to run again.
set -euo pipefail
mnt=${GHOSTBRIDGE_TEST_BTRFS:-/mnt/ghostbridge-test}
img=${GHOSTBRIDGE_TEST_BTRFS_IMAGE:-/var/tmp/ghostbridge-test-btrfs.img}

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  openvswitch-switch btrfs-progs iputils-ping iproute2 zstd tshark \
  openssh-server openssh-client netcat-openbsd curl ca-certificates openssl procps util-linux e2fsprogs perl-base >/dev/null

/usr/share/openvswitch/scripts/ovs-ctl start --system-id=random >/dev/null 2>&1 || true
ovs-vsctl --timeout=10 show >/dev/null

if ! mountpoint -q "$mnt"; then
  rm -f "$img"
  truncate -s 4G "$img"
  mkfs.btrfs -q -f "$img"
  mkdir -p "$mnt"
  mount -o loop "$img" "$mnt"
fi
echo "testbed ready: OVS $(ovs-vsctl --version | head -1 | awk '{print $NF}'), btrfs at $mnt"
