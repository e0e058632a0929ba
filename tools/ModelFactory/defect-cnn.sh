#!/usr/bin/env bash
# Rebuilds models/defect-cnn from the repository root. Two stages:
#   tools/ModelFactory/defect-cnn.sh train      TorchSharp training + ONNX export + parity check (~35 min of one core on a shared machine)
#   tools/ModelFactory/defect-cnn.sh variants   int8 (static, calibrated on training images), opt-in pruned variants, metrics of every
#                                               variant, self-test references, demo pictures, verify (~2 min)
#   tools/ModelFactory/defect-cnn.sh all        both
# "variants" needs only ONNX Runtime: rerun it after changing the quantizer. Needs python3-skimage and gimp-data.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${MODEL:-models/defect-cnn}
stage=${1:-variants}
calibration=$(mktemp -d)
trap 'rm -rf "$calibration"' EXIT

train() {
  dotnet run -c Release --project tools/ModelFactory -- defect-cnn --arch v2 --pool 8000 --epochs 7 --out "$model"
}

variants() {
  dotnet build -c Release tools/DefectEval/DefectEval.csproj -v q -nologo
  dotnet build -c Release tools/QuantCli/QuantCli.csproj -v q -nologo
  local eval=(dotnet run -c Release --no-build --project tools/DefectEval --)
  # 256 training-split images (never validation or test surfaces), preprocessed as the manifest says.
  "${eval[@]}" --model "$model" --export-calibration "$calibration" --count 256
  # Static int8: uint8 activations from min/max ranges, int8 per-channel weights; the CLI adds variant 'int8'
  # (file, sha256, size, session settings) to the manifest. The stem stays fp32: a 3-channel convolution at full
  # resolution is where ONNX Runtime's int8 kernel loses (int8 latency 0.62x fp32 with it, 0.56x without; MODEL_CARD.md).
  dotnet run -c Release --no-build --project tools/QuantCli -- quantize static "$model" --from fp32 \
    --calibration "$calibration" --out "$model/model.int8.onnx" --variant int8 ${QUANT_ARGS:---exclude-nodes stem_conv}
  # Opt-in (PRUNE_TOP1=0.95 ...): structured channel pruning within a budget measured on the same training images (top-1
  # agreement of the logits with fp32), then static int8 of the pruned graph -> variants 'pruned' and 'pruned-int8'.
  # Not shipped: without fine-tuning it gained nothing here (see MODEL_CARD.md, "Pruning").
  if [ -n "${PRUNE_TOP1:-}" ]; then
    dotnet run -c Release --no-build --project tools/QuantCli -- prune --model "$model" --from fp32 \
      --budget-top1 "$PRUNE_TOP1" --budget-output logits --eval "$calibration" --out "$model/model.pruned.onnx" --variant pruned
    dotnet run -c Release --no-build --project tools/QuantCli -- quantize static "$model" --from pruned \
      --calibration "$calibration" --out "$model/model.pruned-int8.onnx" --variant pruned-int8 ${QUANT_ARGS:-}
  fi
  # Metrics of every variant on the regenerated test split (-> manifest + metrics.txt) and int8's self-test reference.
  "${eval[@]}" --model "$model" --count 3000 --write-manifest
  rm -f "$model"/demo/*.png
  "${eval[@]}" --export-demo "$model/demo" --count 8
  "${eval[@]}" --model "$model" --verify
}

case "$stage" in
  train) train ;;
  variants) variants ;;
  all) train; variants ;;
  *) echo "usage: $0 train|variants|all" >&2; exit 2 ;;
esac
