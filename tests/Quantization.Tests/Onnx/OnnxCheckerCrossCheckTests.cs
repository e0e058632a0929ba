using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Onnx;

/// <summary>Cross-check against the reference ONNX package (python3-onnx, installed by CI): files in both directions.</summary>
public sealed class OnnxCheckerCrossCheckTests
{
    [Fact]
    public void Files_exchanged_with_the_reference_onnx_package_read_losslessly_and_pass_its_checker()
    {
        using var dir = new TempDirectory();
        var python = PythonReference.FindPythonWithOnnx();

        // 1. The reference writer: W in typed float_data, b in raw_data, 'big' in an external file.
        const string Writer = "import sys, numpy as np\n"
            + "from onnx import helper, numpy_helper, save_model, TensorProto as T\n"
            + "W = helper.make_tensor('W', T.FLOAT, [4, 3], [0.5, -1, 0.25, 1.5, 0.75, -0.5, -2, 0.125, 1, 0.3, -0.6, 0.9])\n"
            + "b = numpy_helper.from_array(np.array([0.1, -0.2, 0.05], dtype=np.float32), 'b')\n"
            + "big = numpy_helper.from_array(np.arange(1024, dtype=np.float32).reshape(32, 32), 'big')\n"
            + "g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['mm']), helper.make_node('Add', ['mm', 'b'], ['y'])], 'py',\n"
            + "    [helper.make_tensor_value_info('x', T.FLOAT, ['N', 4])], [helper.make_tensor_value_info('y', T.FLOAT, ['N', 3])], [W, b, big])\n"
            + "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='onnx-python')\n"
            + "m.ir_version = 7\n"
            + "save_model(m, sys.argv[1], save_as_external_data=True, all_tensors_to_one_file=True, location='py.data', size_threshold=1024)\n";
        var pythonModel = dir.File("py.onnx");
        var (writeExit, writeOutput) = PythonReference.Run(python, ["-c", Writer, pythonModel]);
        Assert.True(writeExit == 0, writeOutput);

        var read = OnnxModel.Load(pythonModel);
        Assert.Equal(File.ReadAllBytes(pythonModel), read.ToBytes());
        Assert.Equal("onnx-python", read.ProducerName);
        Assert.Equal(TestModels.W, read.Graph.FindInitializer("W")!.ToSingleArray());
        Assert.Equal(TestModels.B, read.Graph.FindInitializer("b")!.ToSingleArray());
        Assert.True(read.Graph.FindInitializer("big")!.IsExternal);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => (float)i), read.Graph.FindInitializer("big")!.ToSingleArray());
        Assert.Equal(["N", "4"], read.Graph.Inputs[0].Shape!.Select(d => d.ToString()));

        // 2. Our writer: the reference checker (with shape inference) accepts what the builder saves.
        var path = dir.File("checked.onnx");
        TestModels.Mlp()
            .AddNode("Transpose", ["y"], ["t"], [OnnxAttribute.Ints("perm", 1, 0)], name: "transpose")
            .AddNode("LeakyRelu", ["t"], ["z"], [OnnxAttribute.Float("alpha", 0.2f)], name: "leaky")
            .AddOutput("z", TensorElementType.Float, 3, "N")
            .Save(path);

        const string Checker = "import sys, onnx\n"
            + "m = onnx.load(sys.argv[1])\n"
            + "onnx.checker.check_model(m, full_check=True)\n"
            + "print('ok', m.ir_version, m.opset_import[0].version, len(m.graph.node))\n";
        var (exit, output) = PythonReference.Run(python, ["-c", Checker, path]);

        Assert.True(exit == 0, $"onnx.checker rejected the model:\n{output}");
        Assert.Equal("ok 8 17 5", output.Trim());
    }
}
