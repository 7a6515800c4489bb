#!/usr/bin/env bash
# End-to-end test of scripts/slurm-array.sh on a real, single-node Slurm cluster on this machine.
#
# As root: installs Debian's slurm-wlm and munge when missing (apt-get, idempotent), writes a
# minimal slurm.conf under $SLURM_TEST_DIR (default /tmp/ridethrough-slurm; nothing in
# /etc/slurm), starts munged, slurmctld and slurmd (unless they already answer), submits the
# array for a tiny study (the default scenario at --step 1h, 256 samples, 4 shards) with its
# dependent merge job, waits for the merge, and checks that the merged JSON is byte for byte
# `ridethrough mc --json` of the same study on this machine. The daemons it started are stopped
# at the end (by their pid files), whatever the outcome.
#
# Usage: scripts/slurm-test.sh [path/to/ridethrough]   (default: builds it with cargo)
# Environment: SLURM_TEST_DIR, SLURM_TEST_TIMEOUT (seconds to wait for the jobs, default 300).
set -euo pipefail
# The binary's path, resolved before leaving the caller's folder.
given_bin=""
if [ $# -ge 1 ]; then given_bin=$(realpath "$1"); fi
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${SLURM_TEST_DIR:-/tmp/ridethrough-slurm}
timeout=${SLURM_TEST_TIMEOUT:-300}
samples=256
shards=4
node=ridethrough-node

say() { echo "slurm-test: $*"; }
fail() { echo "slurm-test: FAILED: $*" >&2; exit 1; }
# Whether process $1 has exited (gone, or a zombie nobody reaps).
exited() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [ -z "$state" ] || [ "$state" = Z ]
}

if [ "$(id -u)" -ne 0 ]; then
  fail "run as root (it installs packages and starts munged, slurmctld and slurmd)"
fi

# 1. Packages.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge
fi

# 2. The binary.
if [ -n "$given_bin" ]; then
  bin=$given_bin
else
  cargo build --release --locked -p ridethrough-cli
  bin="${CARGO_TARGET_DIR:-$root/target}/release/ridethrough"
  bin=$(realpath "$bin")
fi
"$bin" --version

# 3. Configuration: one node with this machine's CPUs, no cgroups, state under $dir.
for pidfile in "$dir/slurmctld.pid" "$dir/slurmd.pid"; do
  if [ -s "$pidfile" ] && ! exited "$(cat "$pidfile")"; then
    fail "a daemon of an earlier run still runs ($pidfile: pid $(cat "$pidfile"))"
  fi
done
rm -rf "$dir"
mkdir -p "$dir/state" "$dir/spool" "$dir/work"
cpus=$(nproc)
cat > "$dir/slurm.conf" <<EOF
ClusterName=ridethrough
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
# A cgroup.conf of its own (a comment: no cgroups are used) keeps slurmd from reading /etc/slurm.
echo "# No cgroups: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none." > "$dir/cgroup.conf"
export SLURM_CONF="$dir/slurm.conf"

# 4. Daemons. Only what this script starts is stopped at the end, by pid.
started=()
cleanup() {
  local rc=$? pid pids=()
  for pidfile in "${started[@]}"; do
    if [ -s "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  # slurmctld saves its state as it stops: wait, so a rerun starts on a quiet folder and ports.
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do
      if exited "$pid"; then break; fi
      sleep 0.1
    done
  done
  if [ $rc -ne 0 ]; then
    for log in "$dir/slurmctld.log" "$dir/slurmd.log"; do
      if [ -f "$log" ]; then echo "--- tail of $log" >&2; tail -n 30 "$log" >&2; fi
    done
  fi
}
trap cleanup EXIT

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if [ ! -s /etc/munge/munge.key ]; then
    /usr/sbin/mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 600 /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  started+=(/run/munge/munged.pid)
  munge -n | unmunge >/dev/null || fail "munged does not answer"
fi

say "starting slurmctld and slurmd ($cpus CPUs)"
/usr/sbin/slurmctld -f "$SLURM_CONF" -i
started+=("$dir/slurmctld.pid")
/usr/sbin/slurmd -f "$SLURM_CONF" -N "$node"
started+=("$dir/slurmd.pid")
for _ in $(seq 60); do
  if sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then break; fi
  sleep 1
done
sinfo -N -o '%N %t %c' || fail "slurmctld does not answer"
sinfo -h -N -o '%t' | grep -Eq '^(idle|mix|alloc)' || fail "the node did not come up"

# 5. The study on Slurm: 4 array tasks, then the dependent merge.
cd "$dir/work"
say "submitting $shards shards of $samples samples"
submitted=$(RIDETHROUGH="$bin" SAMPLES=$samples SHARDS=$shards OUT_DIR="$dir/work/shards" \
  MC_ARGS="--step 1h" "$root/scripts/slurm-array.sh")
echo "$submitted"
merge_job=$(echo "$submitted" | sed -n 's/^merge job: //p')
[ -n "$merge_job" ] || fail "no merge job id in the submission's output"

deadline=$((SECONDS + timeout))
while squeue -h -j "$merge_job" 2>/dev/null | grep -q .; do
  [ $SECONDS -lt $deadline ] || fail "the merge job $merge_job did not finish in ${timeout} s"
  sleep 2
done
merged="$dir/work/shards/mc.json"
[ -s "$merged" ] || {
  cat "$dir"/work/shards/*.log >&2 || true
  fail "the merge job wrote no $merged"
}

# 6. The same study on this machine, in one process.
"$bin" --quiet mc --step 1h --samples $samples --json "$dir/work/single.json" > "$dir/work/single.txt"
if cmp "$merged" "$dir/work/single.json"; then
  say "merged JSON of $shards Slurm shards is byte for byte the single run's ($(wc -c < "$merged") bytes)"
else
  diff <(head -c 2000 "$merged") <(head -c 2000 "$dir/work/single.json") >&2 || true
  fail "the merged JSON differs from the single run's"
fi
cmp "$dir/work/shards/merge.txt" "$dir/work/single.txt" \
  || fail "the merge job's printed indices differ from mc's"
say "passed"
