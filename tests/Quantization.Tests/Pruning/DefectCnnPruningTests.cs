using EdgeAI.DefectData;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Pruning;
using EdgeAI.TestSupport;
using Xunit.Abstractions;

namespace EdgeAI.Quantization.Tests.Pruning;

/// <summary>
/// The committed defect CNN (depthwise-separable, CAM head): pruned within a top-1 budget on generated test-split
/// pictures (surfaces the model never saw), then static int8 through the existing quantizer. The model is being
/// retrained, so nothing here pins its numbers: the test checks the pipeline's guarantees and prints the figures.
/// </summary>
public sealed class DefectCnnPruningTests(ITestOutputHelper output)
{
    private const double Top1Budget = 0.95;

    // A held-out set the search never saw must not fall far below the budget it was tuned to.
    private const double HeldOutTop1Floor = 0.8;

    private static string ModelDirectory => Path.Combine(RepoPaths.Models, "defect-cnn");

    [Fact]
    public void PrunesWithinTheBudgetThenQuantizesToInt8()
    {
        var manifest = ModelManifestReader.Read(Path.Combine(ModelDirectory, ModelManifest.FileName));
        var fp32 = OnnxModel.Load(Path.Combine(ModelDirectory, manifest.FindVariant("fp32")!.File));
        var dataset = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        var search = Samples(dataset, manifest, SurfaceSplit.Test, 0, 64);
        var heldOut = Samples(dataset, manifest, SurfaceSplit.Test, 10_000, 64);
        var calibration = Samples(dataset, manifest, SurfaceSplit.Validation, 0, 32);
        var (prepared, _) = ModelPreparer.Prepare(fp32);
        var options = new AccuracyAwarePruningOptions { MinTop1 = Top1Budget, Pruning = new PruningOptions { ChannelMultiple = 8 } };
        options.BudgetOutputs.Add("logits");
        options.Comparison.TimingRepeats = 5;

        var result = AccuracyAwarePruner.Prune(prepared, search, options);

        Assert.True(result.BudgetMet);
        Assert.Contains(result.Pruning.Refused, r => r.Refusal!.Contains("graph output", StringComparison.Ordinal));
        Assert.True(result.Pruning.After.Parameters < result.Pruning.Before.Parameters, "the budget leaves room to prune something");
        Assert.All(result.Pruning.Layers, l => Assert.True(l.ChannelsAfter % 8 == 0 || l.ChannelsAfter == l.ChannelsBefore, $"{l.Name} keeps {l.ChannelsAfter}"));
        var fp32Bytes = fp32.ToSelfContainedBytes();
        var pruned = result.Pruning.Model.ToSelfContainedBytes();
        var prunedOnHeldOut = Compare(fp32Bytes, pruned, heldOut, 10);
        Assert.True(Top1(prunedOnHeldOut) >= HeldOutTop1Floor, $"held-out top-1 {Top1(prunedOnHeldOut)}");
        Assert.Equal(manifest.Outputs.Select(o => o.Name).Order(), prunedOnHeldOut.Outputs.Select(o => o.Name).Order());

        var ranges = Calibrator.Calibrate(result.Pruning.Model, calibration, new CalibrationOptions());
        var int8 = StaticQuantizer.Quantize(result.Pruning.Model, ranges).Model.ToSelfContainedBytes();
        var int8OnHeldOut = Compare(fp32Bytes, int8, heldOut, 10);
        Assert.True(int8.Length < pruned.Length, "int8 is smaller than the pruned fp32 model");
        Assert.True(Top1(int8OnHeldOut) >= HeldOutTop1Floor - 0.05, $"pruned-int8 held-out top-1 {Top1(int8OnHeldOut)}");

        output.WriteLine($"layers: {string.Join("; ", result.Pruning.Layers.Select(l => $"{l.Name} {l.ChannelsAfter}/{l.ChannelsBefore}"))}");
        output.WriteLine($"parameters {result.Pruning.Before.Parameters} -> {result.Pruning.After.Parameters}, MACs {result.Pruning.Before.Macs} -> {result.Pruning.After.Macs}, {result.Evaluations} evaluations");
        output.WriteLine($"search set: top-1 {Top1(result.Comparison):F4}, latency ratio {result.Comparison.LatencyRatio:F3}");
        Report("pruned", prunedOnHeldOut);
        Report("pruned-int8", int8OnHeldOut);

        // For the docs: what fixed ratios cost without fine-tuning, on the same held-out pictures.
        foreach (var ratio in new[] { 0.25, 0.5 })
        {
            var fixedRatio = ChannelPruner.Prune(prepared, new PruningOptions { Ratio = ratio, ChannelMultiple = 8 });
            var comparison = Compare(fp32Bytes, fixedRatio.Model.ToSelfContainedBytes(), heldOut, 10);
            Assert.True(fixedRatio.After.Parameters < fixedRatio.Before.Parameters);
            Report($"ratio {ratio} ({fixedRatio.After.Parameters} parameters)", comparison);
        }
    }

    [Fact]
    public void PrunedWeightsMatchNumpyDeletingTheReportedChannelsAndPassTheOnnxChecker()
    {
        // Independent reference: the onnx package's checker (full shape inference) and numpy slicing of the original
        // weights along the removed channels, following the chain (depthwise Convs carry their input's channels).
        const string Reference = "import sys, json, numpy as np, onnx\n"
            + "from onnx import numpy_helper\n"
            + "orig, pruned, removed = onnx.load(sys.argv[1]), onnx.load(sys.argv[2]), json.loads(sys.argv[3])\n"
            + "onnx.checker.check_model(pruned, full_check=True)\n"
            + "W = {t.name: numpy_helper.to_array(t) for t in orig.graph.initializer}\n"
            + "P = {t.name: numpy_helper.to_array(t) for t in pruned.graph.initializer}\n"
            + "gone = {}\n"
            + "for n in orig.graph.node:\n"
            + "    r = gone.get(n.input[0], [])\n"
            + "    if n.op_type == 'Conv':\n"
            + "        g = next((a.i for a in n.attribute if a.name == 'group'), 1)\n"
            + "        w, b = W[n.input[1]], W[n.input[2]]\n"
            + "        out = r if g > 1 else removed.get(n.name, [])\n"
            + "        w = np.delete(w, r, 0) if g > 1 else np.delete(np.delete(w, r, 1), out, 0)\n"
            + "        b = np.delete(b, out, 0)\n"
            + "        for k, v in ((n.input[1], w), (n.input[2], b)):\n"
            + "            assert P[k].shape == v.shape and np.array_equal(P[k], v), k\n"
            + "        gone[n.output[0]] = out\n"
            + "    else:\n"
            + "        gone[n.output[0]] = r\n"
            + "print('ok', sum(v.size for v in P.values()))\n";
        using var dir = new TempDirectory();
        var (prepared, _) = ModelPreparer.Prepare(OnnxModel.Load(Path.Combine(ModelDirectory, "model.fp32.onnx")));
        var result = ChannelPruner.Prune(prepared, new PruningOptions { Ratio = 0.5, ChannelMultiple = 8 });
        prepared.Save(dir.File("prepared.onnx"));
        result.Model.Save(dir.File("pruned.onnx"));
        var removed = System.Text.Json.JsonSerializer.Serialize(result.Layers.ToDictionary(l => l.Name, l => l.RemovedChannels));

        var (exit, text) = PythonReference.Run(PythonReference.FindPythonWithOnnx(), ["-c", Reference, dir.File("prepared.onnx"), dir.File("pruned.onnx"), removed]);

        Assert.True(exit == 0, text);
        Assert.Equal($"ok {result.After.Parameters}", text.Trim());
        Assert.Contains(result.Layers, l => l.RemovedChannels.Count > 0);
    }

    [Fact]
    public void TheCliPrunesTheModelDirectoryAndTheDeviceRuntimeLoadsTheNewVariant()
    {
        using var dir = new TempDirectory();
        var modelDir = Path.Combine(dir.Path, "defect-cnn");
        CopyDirectory(ModelDirectory, modelDir);
        var manifest = ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName));
        var eval = Directory.CreateDirectory(Path.Combine(dir.Path, "eval")).FullName;
        var samples = Samples(DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false), manifest, SurfaceSplit.Test, 20_000, 24);
        for (var i = 0; i < samples.Count; i++)
        {
            NpyFile.Write(Path.Combine(eval, $"{i:D3}.npy"), samples[i]["image"]);
        }

        var (exit, stdout, stderr) = Cli.CliRunner.Run(
            "prune", "--model", modelDir, "--out", Path.Combine(modelDir, "model.pruned.onnx"), "--budget-top1", "0.9", "--budget-output", "logits",
            "--eval", eval, "--repeats", "2");

        Assert.True(exit == 0, stderr);
        Assert.Contains("budget top-1 >= 0.9 on logits: met", stdout, StringComparison.Ordinal);
        Assert.Contains("head_conv: not pruned: its channels reach graph output", stdout, StringComparison.Ordinal);
        using var model = EdgeModel.Load(modelDir, new EdgeModelOptions { Variant = "pruned" });
        Assert.Equal("model.pruned.onnx", model.Variant.File);
        Assert.True(model.Variant.Metrics["parameterRatio"] < 1);
        Assert.Equal(manifest.Outputs.Select(o => o.Name), model.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void TheShippedPrunedVariantIsFp32ChannelPrunedThenFineTunedAndItsInt8AgreesWithIt()
    {
        var manifest = ModelManifestReader.Read(Path.Combine(ModelDirectory, ModelManifest.FileName));
        var shipped = OnnxModel.Load(Path.Combine(ModelDirectory, manifest.FindVariant("pruned")!.File));
        var shippedInt8 = File.ReadAllBytes(Path.Combine(ModelDirectory, manifest.FindVariant("pruned-int8")!.File));
        var (prepared, _) = ModelPreparer.Prepare(OnnxModel.Load(Path.Combine(ModelDirectory, manifest.FindVariant("fp32")!.File)));

        // Re-prune fp32 to the shipped channel counts (L1 ranking, as the prune stage did): the shipped graph must have the
        // same nodes and initializer shapes (fine-tuning changes values only), but other values (it was trained).
        var kept = shipped.Graph.Initializers.ToDictionary(t => t.Name, t => t.Dims[0], StringComparer.Ordinal);
        var options = new PruningOptions();
        foreach (var layer in ChannelPruner.FindLayers(prepared).Where(l => l.CanPrune))
        {
            var weight = prepared.Graph.Nodes.Single(n => n.Name == layer.Name).Inputs[1];
            options.LayerRatios[layer.Name] = (double)(layer.Channels - kept[weight]) / layer.Channels;
        }

        var untuned = ChannelPruner.Prune(prepared, options).Model;
        Assert.Equal(untuned.Graph.Nodes.Select(n => n.ToString()), shipped.Graph.Nodes.Select(n => n.ToString()));
        Assert.Equal(untuned.Graph.Initializers.Select(t => t.ToString()).Order(), shipped.Graph.Initializers.Select(t => t.ToString()).Order());
        Assert.All(ChannelPruner.FindLayers(shipped).Where(l => l.CanPrune), l => Assert.True(l.Channels % 8 == 0, $"{l.Name} keeps {l.Channels}"));
        var tunedWeights = shipped.Graph.Initializers.Where(t => t.Name.EndsWith(".w", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(tunedWeights);
        Assert.All(tunedWeights, t => Assert.NotEqual(untuned.Graph.FindInitializer(t.Name)!.ToSingleArray(), t.ToSingleArray()));

        // Held-out pictures: fine-tuning brought the pruned model back towards fp32's decisions, and its int8 follows it.
        var dataset = DefectDataset.Create(DefectDataset.DefaultSeed, requireTextures: false);
        var heldOut = Samples(dataset, manifest, SurfaceSplit.Test, 30_000, 64);
        var fp32Bytes = prepared.ToSelfContainedBytes();
        var tunedVsFp32 = Compare(fp32Bytes, shipped.ToSelfContainedBytes(), heldOut, 0);
        var untunedVsFp32 = Compare(fp32Bytes, untuned.ToSelfContainedBytes(), heldOut, 0);
        var int8VsTuned = Compare(shipped.ToSelfContainedBytes(), shippedInt8, heldOut, 0);
        Report("shipped pruned", tunedVsFp32);
        Report("the same channels, not fine-tuned", untunedVsFp32);
        Report("shipped pruned-int8 vs shipped pruned", int8VsTuned);
        Assert.True(Top1(tunedVsFp32) > Top1(untunedVsFp32) + 0.1, $"fine-tuned top-1 {Top1(tunedVsFp32)} vs untuned {Top1(untunedVsFp32)}");
        Assert.True(Top1(int8VsTuned) >= 0.9, $"pruned-int8 vs pruned top-1 {Top1(int8VsTuned)}");
        Assert.True(shippedInt8.Length < new FileInfo(Path.Combine(ModelDirectory, manifest.FindVariant("int8")!.File)).Length, "pruned-int8 is smaller than int8");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static ModelComparison Compare(byte[] reference, byte[] candidate, IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples, int repeats) =>
        ModelComparer.Compare(reference, candidate, samples, new ModelComparisonOptions { TimingRepeats = repeats });

    private static double Top1(ModelComparison comparison) => comparison.Outputs.Single(o => o.Name == "logits").Top1Agreement!.Value;

    private static List<IReadOnlyDictionary<string, NpyArray>> Samples(DefectDataset dataset, ModelManifest manifest, SurfaceSplit split, int first, int count)
    {
        var mean = manifest.Preprocessing!.Mean!;
        var std = manifest.Preprocessing.Std!;
        var samples = new List<IReadOnlyDictionary<string, NpyArray>>(count);
        for (var i = first; i < first + count; i++)
        {
            var picture = dataset.Generate(split, i);
            var chw = new float[3 * picture.Size * picture.Size];
            picture.WriteChw(chw, mean, std);
            samples.Add(new Dictionary<string, NpyArray> { ["image"] = NpyArray.FromSingles(chw, 1, 3, picture.Size, picture.Size) });
        }

        return samples;
    }

    private void Report(string name, ModelComparison c) =>
        output.WriteLine($"{name} vs fp32 on {c.SampleCount} held-out: {c.ReferenceBytes} -> {c.CandidateBytes} bytes ({c.SizeRatio:F3}x), " +
            $"latency {c.ReferenceMicroseconds:F1} -> {c.CandidateMicroseconds:F1} us ({c.LatencyRatio:F3}x), top-1 {Top1(c):F4}, " +
            $"worst cosine logits {c.Outputs.Single(o => o.Name == "logits").MinCosine:F4}, cam {c.Outputs.Single(o => o.Name == "cam").MinCosine:F4}");
}
