#!/usr/bin/env bash
# Speed of Ludus' reference nets (candle) against the same nets in PyTorch, on this machine.
#
# Usage: scripts/bench-nets.sh [--device cpu|cuda] [--nets LIST] [--batches LIST]
#                              [--modes LIST] [--min-time SECS]
#   Each option is passed unchanged to both `ludus bench-nets` and bench_nets_torch.py
#   (defaults there: cpu, resnet,transformer,lstm, 1,64,256, forward,train, 1.0).
#
# What it does, from the repository root:
#   1. creates .venv-nets (git-ignored by `/.venv*`) if missing and installs the pinned
#      PyTorch from scripts/requirements-bench-nets.txt into it;
#   2. builds `cargo build --release --bin ludus`;
#   3. for 1 thread and for $(nproc) threads runs `ludus bench-nets` (RAYON_NUM_THREADS=T),
#      then scripts/bench_nets_torch.py --threads T, one after the other; with 1 thread both
#      are pinned to core 0 with `taskset` when it is available. The JSON lines of both go to
#      runs/bench-nets/<UTC time>.jsonl (and to stderr as they come);
#   4. prints a markdown table of ms per call and the ludus/pytorch ratio
#      (scripts/bench_nets_table.py) on stdout.
#
# Environment:
#   LUDUS_BIN         use this binary: skips the build and the venv, and runs the PyTorch side
#                     with $PYTHON, which must already have torch (the GPU machine's python3)
#   CARGO_TARGET_DIR  honoured when locating the built binary
#   PYTHON            interpreter that creates the venv, or runs PyTorch with LUDUS_BIN
#                     (default python3)

set -euo pipefail

die() {
    echo "bench-nets: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
}

# --- Options: the same for both sides ------------------------------------------------------
ARGS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --device | --nets | --batches | --modes | --min-time)
            [[ $# -ge 2 ]] || die "$1 needs a value"
            ARGS+=("$1" "$2")
            shift 2
            ;;
        --device=* | --nets=* | --batches=* | --modes=* | --min-time=*)
            ARGS+=("$1")
            shift
            ;;
        *)
            usage >&2
            die "unknown argument '$1'"
            ;;
    esac
done

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv-nets"
REQUIREMENTS="$SCRIPT_DIR/requirements-bench-nets.txt"
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found; install Python 3 (3.11 is known to work)"

# --- 1 and 2. PyTorch venv and the ludus binary, unless LUDUS_BIN is given -----------------
if [[ -n "${LUDUS_BIN:-}" ]]; then
    LUDUS="$LUDUS_BIN"
    TORCH_PY="$PYTHON"
else
    PINNED="$(sed -n 's/^torch==\(.*\)$/\1/p' "$REQUIREMENTS")"
    [[ -n "$PINNED" ]] || die "no 'torch==VERSION' line in $REQUIREMENTS"
    if [[ ! -x "$VENV/bin/python" ]]; then
        echo "bench-nets: creating $VENV" >&2
        "$PYTHON" -m venv "$VENV" \
            || die "'$PYTHON -m venv' failed; on Debian/Ubuntu install the python3-venv package"
    fi
    TORCH_PY="$VENV/bin/python"
    installed="$("$TORCH_PY" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)"
    if [[ "$installed" != "$PINNED" ]]; then
        "$TORCH_PY" -m pip --version >/dev/null 2>&1 \
            || die "pip is missing in $VENV; remove the folder, install pip/ensurepip for $PYTHON and rerun"
        echo "bench-nets: installing torch==$PINNED into $VENV (several GB, see $REQUIREMENTS)" >&2
        "$TORCH_PY" -m pip install --quiet -r "$REQUIREMENTS" \
            || die "pip could not install $REQUIREMENTS"
    fi

    command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust (https://rustup.rs)"
    echo "bench-nets: cargo build --release --bin ludus" >&2
    cargo build --release --bin ludus >&2 || die "cargo build --release --bin ludus failed"
    LUDUS="${CARGO_TARGET_DIR:-$ROOT/target}/release/ludus"
fi
[[ -x "$LUDUS" ]] || die "ludus binary not found or not executable at $LUDUS"
"$TORCH_PY" -c 'import torch' 2>/dev/null || die "'$TORCH_PY' cannot import torch"

# --- 3. Measurements: 1 thread, then every core ----------------------------------------------
mkdir -p runs/bench-nets
OUT="runs/bench-nets/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
: >"$OUT"

THREADS=(1)
[[ "$(nproc)" -gt 1 ]] && THREADS+=("$(nproc)")
CAN_PIN=0
command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null && CAN_PIN=1

for t in "${THREADS[@]}"; do
    PIN=()
    [[ "$t" -eq 1 && "$CAN_PIN" -eq 1 ]] && PIN=(taskset -c 0)
    echo "bench-nets: ludus, $t thread(s)${PIN[*]:+, pinned to core 0}" >&2
    # `tee` keeps the lines in the results file and shows progress on stderr; pipefail makes a
    # failing benchmark fail the pipeline.
    RAYON_NUM_THREADS="$t" ${PIN[@]+"${PIN[@]}"} "$LUDUS" bench-nets ${ARGS[@]+"${ARGS[@]}"} \
        | tee -a "$OUT" >&2 || die "'ludus bench-nets' with $t thread(s) failed"
    echo "bench-nets: pytorch, $t thread(s)${PIN[*]:+, pinned to core 0}" >&2
    ${PIN[@]+"${PIN[@]}"} "$TORCH_PY" "$SCRIPT_DIR/bench_nets_torch.py" --threads "$t" \
        ${ARGS[@]+"${ARGS[@]}"} | tee -a "$OUT" >&2 || die "bench_nets_torch.py with $t thread(s) failed"
done
echo "bench-nets: results in $OUT" >&2

# --- 4. Table ------------------------------------------------------------------------------
"$TORCH_PY" "$SCRIPT_DIR/bench_nets_table.py" "$OUT"
