#!/bin/sh
# Test-environment shim, used only by the test cluster's real node: containerd runs this instead of runc.
# These sandboxes refuse to lower a process's oom_score_adj, and kubelet asks for -998 for every pod sandbox
# (-997 for Guaranteed pods), so runc fails with "can't get final child's PID from pipe". Before runc sees a
# bundle, a negative process.oomScoreAdj in its config.json is raised to this process's own value.
bundle=
previous=
for arg in "$@"; do
  case "$previous" in --bundle|-b) bundle=$arg ;; esac
  case "$arg" in --bundle=*) bundle=${arg#--bundle=} ;; esac
  previous=$arg
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  own=$(cat /proc/self/oom_score_adj)
  sed -i -E "s/\"oomScoreAdj\": *-[0-9]+/\"oomScoreAdj\":$own/" "$bundle/config.json"
fi
exec runc "$@"
