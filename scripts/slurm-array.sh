#!/usr/bin/env bash
# A Monte Carlo study of ridethrough as a Slurm job array: one shard per array task, then a
# dependent job that merges the shards into the single-machine result, bit for bit.
#
# Run it on a login node to submit both jobs:
#
#   RIDETHROUGH=/path/to/ridethrough SCENARIO=site.toml SAMPLES=100000 SHARDS=32 \
#     MC_ARGS="--step 1m" scripts/slurm-array.sh
#
# It prints "array job: ID" and "merge job: ID". The array task i runs
# `ridethrough mc SCENARIO --samples SAMPLES MC_ARGS --shard-from-env --out OUT_DIR/shard-i.json`
# (shards are 0-based: tasks 0..SHARDS-1); the merge job, started only if every task succeeded
# (afterok), runs `ridethrough merge OUT_DIR/shard-*.json --json OUT_DIR/mc.json` and prints
# the indices to OUT_DIR/merge.txt, exactly what `ridethrough mc` prints for the whole study.
#
# Environment (sbatch hands the submitting shell's environment to the jobs):
#   RIDETHROUGH  the binary, on a path every node sees (default: ridethrough on PATH)
#   SCENARIO     scenario file (default: the embedded default scenario)
#   SAMPLES      samples of the whole study (required)
#   SHARDS       array tasks = shards, 1 ≤ SHARDS ≤ ⌈SAMPLES/16⌉ (required)
#   MC_ARGS      more flags for every shard, e.g. "--step 1h --seed 7" (word-split)
#   OUT_DIR      shard files, logs and the merged result (default: ./ridethrough-shards)
#   SBATCH_ARGS  more sbatch flags for both jobs, e.g. "--partition=compute --time=1:00:00"
#
# The same file is the job script of both jobs (the first argument picks the part); it can also
# be submitted by hand:
#   sbatch --array=0-31 scripts/slurm-array.sh shard
#   sbatch --dependency=afterok:ARRAY_JOB_ID scripts/slurm-array.sh merge
#SBATCH --job-name=ridethrough-mc
#SBATCH --cpus-per-task=1
#SBATCH --ntasks=1
set -euo pipefail

bin=${RIDETHROUGH:-ridethrough}
out=${OUT_DIR:-ridethrough-shards}
# The scenario is optional: an empty array adds no argument.
scenario=()
if [ -n "${SCENARIO:-}" ]; then scenario=("$SCENARIO"); fi
# shellcheck disable=SC2206 # MC_ARGS and SBATCH_ARGS are word-split on purpose.
mc_args=(${MC_ARGS:-})
# shellcheck disable=SC2206
sbatch_args=(${SBATCH_ARGS:-})

case "${1:-submit}" in
  shard)
    # One array task: the shard index and count come from SLURM_ARRAY_TASK_ID/COUNT.
    mkdir -p "$out"
    threads=${SLURM_CPUS_PER_TASK:-1}
    exec "$bin" --quiet mc "${scenario[@]}" --samples "${SAMPLES:?}" "${mc_args[@]}" \
      --threads "$threads" --shard-from-env --out "$out/shard-${SLURM_ARRAY_TASK_ID:?}.json"
    ;;
  merge)
    "$bin" --quiet merge "$out"/shard-*.json --json "$out/mc.json" > "$out/merge.txt"
    ;;
  submit)
    : "${SAMPLES:?set SAMPLES, the samples of the whole study}"
    : "${SHARDS:?set SHARDS, the number of array tasks (shards)}"
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    export OUT_DIR=$out
    self=$(realpath "$0")
    array=$(sbatch --parsable "${sbatch_args[@]}" --array="0-$((SHARDS - 1))" \
      --output="$out/shard-%a.log" "$self" shard)
    array=${array%%;*}
    merge=$(sbatch --parsable "${sbatch_args[@]}" --dependency="afterok:$array" \
      --kill-on-invalid-dep=yes --output="$out/merge.log" "$self" merge)
    merge=${merge%%;*}
    echo "array job: $array"
    echo "merge job: $merge"
    ;;
  *)
    echo "usage: $0 [submit|shard|merge] (see the comments at its top)" >&2
    exit 2
    ;;
esac
