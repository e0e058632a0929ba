using System.Diagnostics;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Onnx;

/// <summary>One cross-check against the reference ONNX checker (python3-onnx, installed by CI).</summary>
public sealed class OnnxCheckerCrossCheckTests
{
    [Fact]
    public void Written_model_passes_the_reference_onnx_checker_with_shape_inference()
    {
        using var dir = new TempDirectory();
        var path = dir.File("checked.onnx");
        TestModels.Mlp()
            .AddNode("Transpose", ["y"], ["t"], [OnnxAttribute.Ints("perm", 1, 0)], name: "transpose")
            .AddNode("LeakyRelu", ["t"], ["z"], [OnnxAttribute.Float("alpha", 0.2f)], name: "leaky")
            .AddOutput("z", TensorElementType.Float, 3, "N")
            .Save(path);

        const string Script = "import sys, onnx\n"
            + "m = onnx.load(sys.argv[1])\n"
            + "onnx.checker.check_model(m, full_check=True)\n"
            + "print('ok', m.ir_version, m.opset_import[0].version, len(m.graph.node))\n";
        var python = FindPythonWithOnnx();
        var (exit, output) = RunProcess(python, ["-c", Script, path]);

        Assert.True(exit == 0, $"onnx.checker rejected the model:\n{output}");
        Assert.Equal("ok 8 17 5", output.Trim());
    }

    private static string FindPythonWithOnnx()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                if (RunProcess(candidate, ["-c", "import onnx"]).Exit == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under this name; try the next.
            }
        }

        throw new InvalidOperationException("No python3 with the onnx module found; install the Debian package python3-onnx (CI does).");
    }

    private static (int Exit, string Output) RunProcess(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
