#!/usr/bin/env bash
# Rebuilds models/defect-cnn from the repository root. Three stages:
#   tools/ModelFactory/defect-cnn.sh train      TorchSharp training + ONNX export + parity check (~96 min of one core beside another run)
#   tools/ModelFactory/defect-cnn.sh prune      structured channel pruning of fp32 by ratio (PRUNE_RATIO, default 0.5), then fine-tuning
#                                               of the pruned graph (TorchSharp, PRUNE_EPOCHS passes of fresh training images) -> 'pruned'
#   tools/ModelFactory/defect-cnn.sh variants   int8 (static, calibrated on training images), pruned-int8 (when 'pruned' exists), each
#                                               non-fp32 variant's own threshold (validation), metrics of every variant, self-test
#                                               references, demo pictures, verify (~3 min)
#   tools/ModelFactory/defect-cnn.sh all        all three
# "variants" needs only ONNX Runtime: rerun it after changing the quantizer. Needs python3-skimage and gimp-data.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${MODEL:-models/defect-cnn}
stage=${1:-variants}
calibration=$(mktemp -d)
trap 'rm -rf "$calibration"' EXIT

train() {
  dotnet run -c Release --project tools/ModelFactory -- defect-cnn --arch v7 --pool 8000 --epochs 44 --fresh-procedural 0.5 --min-visibility 2 --aggregate --version 1.2.0 --out "$model"
}

calibration_images() {
  dotnet build -c Release tools/DefectEval/DefectEval.csproj -v q -nologo
  dotnet build -c Release tools/QuantCli/QuantCli.csproj -v q -nologo
  # 256 training-split images (never validation or test surfaces; with the stone aggregates the model was trained on),
  # preprocessed as the manifest says.
  dotnet run -c Release --no-build --project tools/DefectEval -- --model "$model" --export-calibration "$calibration" --count 256 --aggregate
}

prune() {
  calibration_images
  # Structured pruning by ratio: every prunable layer loses PRUNE_RATIO of its output channels (lowest L1 norm after batch-norm
  # folding; kept counts rounded up to multiples of 8, which ONNX Runtime's convolution kernels work in). The head (its output
  # is the model's contract) keeps all. Without fine-tuning this loses most of the accuracy; the fine-tuning below recovers it.
  dotnet run -c Release --no-build --project tools/QuantCli -- prune --model "$model" --from fp32 --ratio "${PRUNE_RATIO:-0.5}" \
    --channel-multiple 8 --eval "$calibration" --repeats 3 --out "$model/model.pruned.onnx" --variant pruned
  # Fine-tuning of the pruned ONNX graph with the training recipe's data and loss (fresh training images, AdamW one-cycle, one
  # libtorch thread, seed 1); checks the TorchSharp interpreter against ONNX Runtime before and after, updates the manifest.
  dotnet run -c Release --project tools/ModelFactory -- defect-cnn-finetune --model "$model" --from pruned \
    --epochs "${PRUNE_EPOCHS:-6}" --lr "${PRUNE_LR:-0.002}" --fresh-procedural 0.5 --aggregate
}

variants() {
  calibration_images
  local eval=(dotnet run -c Release --no-build --project tools/DefectEval --)
  # Static int8: uint8 activations from min/max ranges, int8 per-channel weights; the CLI adds variant 'int8'
  # (file, sha256, size, session settings) to the manifest. The stem stays fp32: a 3-channel convolution at full
  # resolution is where ONNX Runtime's int8 kernel loses (int8 latency 0.62x fp32 with it, 0.56x without; MODEL_CARD.md).
  dotnet run -c Release --no-build --project tools/QuantCli -- quantize static "$model" --from fp32 \
    --calibration "$calibration" --out "$model/model.int8.onnx" --variant int8 ${QUANT_ARGS:---exclude-nodes stem_conv}
  # pruned-int8: the same static int8 of the pruned, fine-tuned graph (made by the 'prune' stage).
  if [ -f "$model/model.pruned.onnx" ]; then
    dotnet run -c Release --no-build --project tools/QuantCli -- quantize static "$model" --from pruned \
      --calibration "$calibration" --out "$model/model.pruned-int8.onnx" --variant pruned-int8 ${QUANT_ARGS:---exclude-nodes stem_conv}
  fi
  # Each non-fp32 variant's own defect threshold (2% false rejects on 3,000 validation images, as fp32's), then the metrics of
  # every variant on the regenerated test split (-> manifest + metrics.txt) and the non-fp32 self-test references.
  "${eval[@]}" --model "$model" --count 3000 --write-manifest
  rm -f "$model"/demo/*.png
  "${eval[@]}" --export-demo "$model/demo" --count 8
  "${eval[@]}" --model "$model" --verify
}

case "$stage" in
  train) train ;;
  prune) prune ;;
  variants) variants ;;
  all) train; prune; variants ;;
  *) echo "usage: $0 train|prune|variants|all" >&2; exit 2 ;;
esac
