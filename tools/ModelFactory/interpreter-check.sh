#!/usr/bin/env bash
# Checks the fine-tuning interpreter (OnnxTorchGraph) on every operator it runs, against ONNX Runtime: writes a random-weight
# graph with asymmetric pads, a grouped dilated strided Conv, Clip (min/max inputs), Sigmoid, Mul/Sub/Div with broadcasting,
# Concat, Relu, Identity, ReduceMean (axes attribute, keepdims 0), GlobalAveragePool, Flatten, Gemm (transB, alpha, beta),
# Reshape (0 and -1) and Add, with the defect model's input/outputs, then runs `defect-cnn-finetune` on it for two steps: the
# command fails unless the interpreter matches ONNX Runtime (1e-5 of each output's range) before training and after writing.
# Needs Debian's python3-onnx (python3-numpy). Usage, from the repository root: tools/ModelFactory/interpreter-check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$dir" models/defect-cnn/manifest.json <<'PY'
import hashlib, json, sys
import numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
out, manifest = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(1)
inits = []
def w(name, shape, scale=0.3):
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name
def const(name, value, dtype):
    inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
    return name
n = helper.make_node
nodes = [
    n('Conv', ['image', w('c1.w', [8, 3, 3, 3]), w('c1.b', [8])], ['c1'], name='c1', kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1]),
    n('Clip', ['c1', const('lo', 0, np.float32), const('hi', 6, np.float32)], ['c1r'], name='clip'),
    n('Conv', ['c1r', w('c2.w', [8, 4, 3, 3]), w('c2.b', [8])], ['c2'], name='c2', kernel_shape=[3, 3], strides=[2, 2], pads=[2, 2, 1, 1], dilations=[2, 2], group=2),
    n('Sigmoid', ['c2'], ['s'], name='sig'),
    n('Mul', ['s', w('scale', [1, 8, 1, 1])], ['m'], name='mul'),
    n('Sub', ['m', w('shift', [8, 1, 1])], ['sb'], name='sub'),
    n('Div', ['sb', w('div', [1], 0.1)], ['dv'], name='div'),
    n('Concat', ['dv', 'c2'], ['cat'], name='cat', axis=1),
    n('Relu', ['cat'], ['r'], name='relu'),
    n('Identity', ['r'], ['r2'], name='id'),
    n('Conv', ['r2', w('head.w', [6, 16, 1, 1]), w('head.b', [6])], ['cam'], name='head', kernel_shape=[1, 1]),
    n('ReduceMean', ['cam'], ['rm'], name='rmean', axes=[2, 3], keepdims=0),
    n('GlobalAveragePool', ['r2'], ['gap'], name='gap'),
    n('Flatten', ['gap'], ['flat'], name='flat', axis=1),
    n('Gemm', ['flat', w('fc.w', [6, 16]), w('fc.b', [6])], ['fc'], name='fc', transB=1, alpha=0.5, beta=2.0),
    n('Reshape', ['fc', const('shape', [0, 2, 3], np.int64)], ['fc3'], name='rs'),
    n('Reshape', ['fc3', const('shape2', [-1, 6], np.int64)], ['fc2'], name='rs2'),
    n('Add', ['rm', 'fc2'], ['logits'], name='add'),
]
graph = helper.make_graph(nodes, 'interpreter_check', [helper.make_tensor_value_info('image', TensorProto.FLOAT, ['batch', 3, 64, 64])],
    [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 6]), helper.make_tensor_value_info('cam', TensorProto.FLOAT, ['batch', 6, 16, 16])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
data = model.SerializeToString()
open(f'{out}/model.fp32.onnx', 'wb').write(data)
m = json.load(open(manifest))
m['variants'] = [{'name': 'fp32', 'file': 'model.fp32.onnx', 'sha256': hashlib.sha256(data).hexdigest(), 'sizeBytes': len(data)}]
m['defaultVariant'] = 'fp32'
m.pop('sample', None)
json.dump(m, open(f'{out}/manifest.json', 'w'), indent=2)
PY
dotnet run -c Release --project tools/ModelFactory -- defect-cnn-finetune --model "$dir" --from fp32 --epochs 1 --pool 64 --batch 32 \
  --validation 100 --cam-distill 0 --out "$dir/model.fp32.onnx"
echo "interpreter check passed"
