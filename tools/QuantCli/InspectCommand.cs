using System.CommandLine;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Pruning;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.QuantCli;

/// <summary><c>inspect MODEL</c>: what the model is and what quantization would do to it.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "An .onnx file or a model directory with manifest.json." };
        var command = new Command("inspect", "Show opset, IR version, inputs and outputs, operator histogram, parameter count, size, and which nodes int8 quantization would change.");
        var fixInput = FixedInputs.CreateOption();
        var fixShape = FixedInputs.CreateShapeOption();
        var specializeSample = FixedInputs.CreateSampleOption();
        command.Arguments.Add(model);
        command.Options.Add(fixInput);
        command.Options.Add(fixShape);
        command.Options.Add(specializeSample);
        command.SetAction(parse =>
        {
            var location = ModelLocation.Resolve(parse.GetValue(model)!);
            var report = Inspect(location.OnnxPath, parse.GetValue(fixInput), parse.GetValue(fixShape), parse.GetValue(specializeSample), CalibrationInputs.ResolveManifest(null, location));
            Output.Write(parse, report, ReportJsonContext.Default.InspectReport, w => WriteText(w, report));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static InspectReport Inspect(string path, string[]? fixedInputs, string[]? fixedShapes, string? specializeSample, (ModelManifest? Manifest, string? Path) manifest = default)
    {
        var model = OnnxModel.Load(path);
        var (specialized, specialization) = FixedInputs.Apply(model, fixedInputs, fixedShapes, specializeSample, manifest);
        var graph = model.Graph;
        var initializers = graph.Initializers;
        var initializerNames = initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var histogram = specialized.Graph.Nodes
            .GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}", StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        IReadOnlyList<string> preparation;
        OnnxModel prepared;
        try
        {
            var (p, changes) = ModelPreparer.Prepare(specialized);
            (prepared, preparation) = (p, [.. specialization, .. changes]);
        }
        catch (NotSupportedException ex)
        {
            (prepared, preparation) = (model, [$"Cannot prepare for quantization: {ex.Message}"]);
        }

        var (staticNodes, staticSkipped) = PlanStatic(prepared);
        var dynamicPlan = DynamicQuantizer.Quantize(prepared);
        return new InspectReport(
            Path.GetFullPath(path),
            new FileInfo(path).Length,
            model.IrVersion,
            model.Opsets,
            model.ProducerName,
            [.. graph.Inputs.Where(i => !initializerNames.Contains(i.Name)).Select(ToReport)],
            [.. graph.Outputs.Select(ToReport)],
            specialized.Graph.Nodes.Count,
            histogram,
            ModelCost.CountParameters(model),
            initializers.Count,
            preparation,
            staticNodes,
            staticSkipped,
            dynamicPlan.QuantizedNodes,
            dynamicPlan.SkippedNodes);
    }

    // Runs the static quantizer itself on placeholder ranges, so the answer is exactly what
    // `quantize static` would do structurally (ranges change values, not which nodes are rewritten).
    private static (IReadOnlyList<string> Quantized, IReadOnlyList<string> Skipped) PlanStatic(OnnxModel model)
    {
        if ((model.GetOpset() ?? 0) < 13)
        {
            return ([], [$"The model imports opset {model.GetOpset() ?? 0}; static int8 quantization needs 13 or later."]);
        }

        // Calibration records float tensors only, and a clamp's output is never negative (so a Relu or Clip folds).
        var names = model.Graph.Inputs.Select(i => i.Name).Concat(model.Graph.Nodes.SelectMany(n => n.Outputs)).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var floats = FloatTensors(model, names);
        var clamped = model.Graph.Nodes.Where(n => n.OpType is "Relu" or "Clip").SelectMany(n => n.Outputs).ToHashSet(StringComparer.Ordinal);
        var ranges = names.Where(floats.Contains).ToDictionary(n => n, n => clamped.Contains(n) ? new TensorRange(0, 1) : new TensorRange(-1, 1), StringComparer.Ordinal);
        var result = StaticQuantizer.Quantize(model, new CalibrationResult(ranges, 1));
        return (result.QuantizedNodes, result.SkippedNodes);
    }

    /// <summary>The float tensors among <paramref name="names"/>, as ONNX Runtime's type inference reports them when the model loads (all of them when it cannot load it).</summary>
    private static HashSet<string> FloatTensors(OnnxModel model, List<string> names)
    {
        var outputs = model.Graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        try
        {
            using var session = new InferenceSession(model.WithOutputs([.. names.Where(n => !outputs.Contains(n) && model.Graph.Inputs.All(i => i.Name != n))]).ToSelfContainedBytes());
            return [.. session.InputMetadata.Concat(session.OutputMetadata).Where(m => m.Value.IsTensor && m.Value.ElementDataType == TensorElementType.Float).Select(m => m.Key)];
        }
        catch (OnnxRuntimeException)
        {
            // ONNX Runtime cannot load it (e.g. a custom operator): plan as if every tensor were float.
            return [.. names];
        }
    }

    private static TensorReport ToReport(OnnxTensorInfo info) =>
        new(info.Name, info.ElementType is { } t ? OnnxTypeName(t) : "?", info.Shape is null ? ["?"] : [.. info.Shape.Select(d => d.ToString())]);

    private static string OnnxTypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Double => "float64",
        TensorElementType.Float16 => "float16",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int16 => "int16",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.Int32 => "int32",
        TensorElementType.UInt32 => "uint32",
        TensorElementType.Int64 => "int64",
        TensorElementType.UInt64 => "uint64",
        TensorElementType.Bool => "bool",
        TensorElementType.String => "string",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static void WriteText(TextWriter w, InspectReport r)
    {
        w.WriteLine($"{r.Path}");
        w.WriteLine($"  size {r.SizeBytes:N0} bytes, IR {r.IrVersion}, opsets {string.Join(", ", r.Opsets.Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"))}, producer '{r.Producer}'");
        foreach (var i in r.Inputs)
        {
            w.WriteLine($"  input  {i.Name}: {i.ElementType}[{string.Join(", ", i.Shape)}]");
        }

        foreach (var o in r.Outputs)
        {
            w.WriteLine($"  output {o.Name}: {o.ElementType}[{string.Join(", ", o.Shape)}]");
        }

        w.WriteLine($"  {r.NodeCount} nodes: {string.Join(", ", r.OpHistogram.Select(h => $"{h.Key} {h.Value}"))}");
        w.WriteLine($"  {r.ParameterCount:N0} parameters in {r.InitializerCount} initializers");
        foreach (var p in r.Preparation)
        {
            w.WriteLine($"  preparation: {p}");
        }

        w.WriteLine($"  static int8 would quantize {r.StaticInt8Nodes.Count} node(s): {string.Join(", ", r.StaticInt8Nodes)}");
        foreach (var s in r.StaticInt8Skipped)
        {
            w.WriteLine($"    kept fp32: {s}");
        }

        w.WriteLine($"  dynamic int8 would quantize {r.DynamicInt8Nodes.Count} node(s): {string.Join(", ", r.DynamicInt8Nodes)}");
        foreach (var s in r.DynamicInt8Skipped)
        {
            w.WriteLine($"    kept fp32: {s}");
        }
    }
}
