#!/bin/sh
# Removes what a test cluster's real node put on this machine: pod processes, network namespaces, the bridge,
# iptables rules, mounts, cgroups and sysctls. The cluster's stop() and its reaper (after a kill -9 of the test
# run) both call it once the node's daemons are stopped; it is safe to run twice and with the cluster folder gone.
# One machine holds one real node, so every cni-* netns and KUBE-/CNI- rule here is that node's.
dir=$1 bridge=$2 cgroup=$3

# Containers outlive their shims, so they are killed through the node's cgroup tree.
for pid in $(pgrep -f "containerd-shim.* $dir/"); do kill -9 "$pid" 2>/dev/null; done
for procs in /sys/fs/cgroup/*/"$cgroup"; do
  [ -d "$procs" ] && find "$procs" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
done
sleep 0.5
for root in /sys/fs/cgroup/*/"$cgroup"; do [ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} + 2>/dev/null; done

for netns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do ip netns delete "$netns"; done
ip link delete "$bridge" 2>/dev/null

for save in iptables ip6tables; do
  "$save-save" 2>/dev/null | grep -qE 'KUBE-|CNI-' || continue
  "$save-save" | grep -vE 'KUBE-|CNI-' | "$save-restore"
done

[ -d "$dir" ] && grep -o " $dir/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
if [ -f "$dir/sysctl.saved" ]; then
  while read -r setting; do sysctl -q -w "$setting"; done < "$dir/sysctl.saved"
  rm -f "$dir/sysctl.saved"
fi
exit 0
