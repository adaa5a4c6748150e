#!/usr/bin/env bash
# The WebGPU figures on a machine with a real GPU: `bash bench/gpu.sh OUTDIR` from the repository root,
# with node_modules installed (or unpacked from .devcarry/bundle.tar.xz: a node binary in bin/ and a
# pruned node_modules, xz-compressed, made as bench/RESULTS.md "Real GPU" says) and a
# Vulkan driver. Each section is one bench script in its own process with its own time limit, most
# important first, so a slow one cannot take the others' results with it; each writes OUTDIR/<name>.json
# and everything is logged to OUTDIR/log.txt (GPU_SECTIONS="name …" runs only the sections named). Nothing here is timed by a test: the numbers go, by hand
# and with the device named, into bench/RESULTS.md.
set -u
OUT_DIR=${1:?usage: bash bench/gpu.sh OUTDIR}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/log.txt"
exec > >(tee -a "$LOG") 2>&1

# A node and node_modules carried as one archive (the GPU machine has no registry to install from).
# (A second call on a warm machine keeps the unpacked node_modules but not the node beside the archive.)
if [ -f .devcarry/bundle.tar.xz ]; then
  mkdir -p /tmp/azr-node
  if [ ! -d node_modules/@tensorflow ]; then
    tar -xJf .devcarry/bundle.tar.xz -C /tmp/azr-node && rm -rf node_modules && mv /tmp/azr-node/node_modules node_modules
  elif [ ! -x /tmp/azr-node/bin/node ]; then
    tar -xJf .devcarry/bundle.tar.xz -C /tmp/azr-node bin
  fi
  export PATH="/tmp/azr-node/bin:$PATH"
fi
# The Vulkan loader, when the machine has only the driver (.gl/*.deb, see ../shared device notes).
if ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$ICD" ]; then export VK_DRIVER_FILES=$ICD VK_ICD_FILENAMES=$ICD; fi

echo "== machine"
nvidia-smi -L 2>&1 || true
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || true
echo "node $(node -v)"; nproc; python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1 || true
export AZR_PYTHON=${AZR_PYTHON:-$(command -v python3)}

section() { # name seconds script opts...
  local name=$1 secs=$2 script=$3; shift 3
  # GPU_SECTIONS="a b" runs only those (a second call that measures one thing again).
  if [ -n "${GPU_SECTIONS:-}" ] && [[ " $GPU_SECTIONS " != *" $name "* ]]; then return; fi
  local opts=(); for o in "$@"; do opts+=(--opt "$o"); done
  echo "== $name ($script ${*:-}), at most ${secs} s"
  local t0=$SECONDS
  timeout -k 5 "$secs" env ${SECTION_ENV:-} node --expose-gc --import tsx "bench/$script" --out "$OUT_DIR/$name.json" "${opts[@]}"
  echo "== $name: exit $? after $((SECONDS - t0)) s"
  [ -f "$OUT_DIR/$name.json" ] && head -c 4000 "$OUT_DIR/$name.json" && echo
}

section probe 45 probe-webgpu.ts
# Training and sampling tokens/s (and the KV cache's speed-up) on WebGPU, the bench's two configurations,
# with our fused kernels (src/model/webgpu-kernels.ts) and, for the ratio, with tfjs's ops alone.
section model-webgpu 90 model.ts backend=webgpu configs=tiny,default nocache=1 trainRuns=3
SECTION_ENV=AZR_WEBGPU_FUSED=0 section model-webgpu-ops 90 model.ts backend=webgpu configs=tiny,default nocache=1 trainRuns=3
# Where the host's time goes in a warm decode and a training step of the default config (V8's sampling
# profiler: tfjs's bookkeeping, the `webgpu` binding's native calls, GC, waiting), and the same figures
# under two knobs of that host work: fewer queue submits (tfjs submits every 15 dispatches by default)
# and Dawn without its per-call validation and robust buffer access.
section host-profile 60 model.ts backend=webgpu configs=default hostProfile=1 trainRuns=2
SECTION_ENV=AZR_TFJS_FLAGS=WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=1000 section sweep-submit 45 model.ts backend=webgpu configs=default trainRuns=2
SECTION_ENV=AZR_DAWN_OPTIONS=enable-dawn-features=skip_validation,disable_robustness section sweep-dawn 45 model.ts backend=webgpu configs=default trainRuns=2
# One full self-play step of the default preset, by phase.
section step-webgpu 120 step.ts backend=webgpu preset=default steps=3 hostProfile=1
# Our WebGPU logits, loss and one AdamW step against PyTorch on the same weights; PyTorch's training
# step timed on this machine's CPU cores and on the GPU, the same batch.
section torch 200 torch.ts configs=default,small backends=webgpu cuda=1 steps=10
# The presets that need a GPU.
section model-large 80 model.ts backend=webgpu configs=small,medium trainRuns=2
# The wasm backend on this machine's CPU, the same run's reference.
section model-wasm 45 model.ts backend=wasm configs=tiny,default
# Opt-in (GPU_SECTIONS="pretrain-small"): a `small` base pretrained by PyTorch on the GPU from our own data
# (`npm run pretrain -- --engine torch`; the data is generated and labelled on this machine's CPUs, the
# trained weights are evaluated by our model before the checkpoint is written). The checkpoint comes back
# in pieces under 15 MB (OUTDIR/small.tar.part-*): cat them | tar -x.
if [[ " ${GPU_SECTIONS:-} " == *" pretrain-small "* ]]; then
  echo "== pretrain-small, at most ${PRETRAIN_SECONDS:-420} s"
  t0=$SECONDS
  timeout -k 5 "${PRETRAIN_SECONDS:-420}" env AZR_PYTHON="$AZR_PYTHON" node --import tsx src/cli/pretrain.ts --engine torch --device cuda \
    --model small --seed "${PRETRAIN_SEED:-0}" --steps "${PRETRAIN_STEPS:-3000}" --batch 32 --lr 1e-3 --examples "${PRETRAIN_EXAMPLES:-40000}" \
    --out /tmp/small --log-every 50 --eval-every 500 > "$OUT_DIR/pretrain-small.jsonl"
  echo "== pretrain-small: exit $? after $((SECONDS - t0)) s"
  tail -3 "$OUT_DIR/pretrain-small.jsonl"
  [ -f /tmp/small/manifest.json ] && tar -C /tmp -cf - small/manifest.json small/weights.bin | split -b 15M - "$OUT_DIR/small.tar.part-"
fi
echo "== done after $SECONDS s"
