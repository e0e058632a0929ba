using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EdgeAI.DefectData;
using EdgeAI.Inference;
using EdgeAI.Quantization.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAI.ModelFactory;

/// <summary>
/// <c>defect-cnn-finetune</c>: trains a variant that exists only as ONNX (a channel-pruned graph) further with the
/// training recipe's data and loss, through <see cref="OnnxTorchGraph"/>, and writes the tuned weights back into the
/// same graph. Before training, the interpreter must reproduce ONNX Runtime's outputs of the variant (relative
/// tolerance <see cref="ParityTolerance"/>); after writing, ONNX Runtime must reproduce the tuned interpreter's.
/// </summary>
internal static class DefectFineTuner
{
    /// <summary>Largest |interpreter - ONNX Runtime| allowed, relative to the output's largest |value| (float32 sums of ~1000 terms).</summary>
    public const double ParityTolerance = 1e-5;

    /// <summary>Data-set streams 0..epochs-1 made the training pools; fine-tuning draws new images from streams at this offset.</summary>
    private const int StreamOffset = 1000;

    private const int ParityImages = 32;
    private const int Size = DefectDataset.ImageSize;

    public static int Run(FineTuneOptions o)
    {
        torch.set_num_threads(1); // FIELD-NOTES: more threads change results run to run.
        torch.manual_seed(o.Seed);
        var clock = Stopwatch.StartNew();
        var log = new List<string>();
        void Log(string line)
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,7:F1}s] {line}");
            Console.WriteLine(text);
            log.Add(text);
        }

        var manifestPath = Path.Combine(o.ModelDirectory, ModelManifest.FileName);
        var manifest = ModelManifestReader.Read(manifestPath);
        var variant = manifest.FindVariant(o.FromVariant)
            ?? throw new ArgumentException($"'{manifestPath}' has no variant '{o.FromVariant}'; it has: {string.Join(", ", manifest.Variants.Select(v => v.Name))}.");
        var pre = manifest.Preprocessing;
        if (pre?.Mean is not { Length: 3 } mean || pre.Std is not { Length: 3 } std)
        {
            throw new ArgumentException($"'{manifestPath}': preprocessing.mean and preprocessing.std (3 channels) are needed to feed the training images.");
        }

        var inputName = manifest.Inputs[0].Name;
        var sourcePath = Path.Combine(o.ModelDirectory, variant.File);
        var outPath = o.OutputFile ?? sourcePath;
        using var graph = new OnnxTorchGraph(OnnxModel.Load(sourcePath));
        (Tensor Logits, Tensor Cam) Forward(Tensor x) => Outputs(graph, inputName, x);

        // The teacher's class maps (frozen) for the heatmap distillation term.
        using var teacher = o.CamDistillWeight > 0 ? new OnnxTorchGraph(OnnxModel.Load(Path.Combine(o.ModelDirectory,
            (manifest.FindVariant(o.Teacher) ?? throw new ArgumentException($"'{manifestPath}' has no teacher variant '{o.Teacher}'.")).File))) : null;

        var dataset = DefectDataset.Create(DefectDataset.DefaultSeed, freshProcedural: o.FreshProcedural, extraTrainingTextures: o.ExtraTextures, aggregateTrainingSurfaces: o.AggregateSurfaces, terrainTrainingTextures: o.TerrainTextures, minVisibility: o.MinVisibility ?? DefectDataset.MinVisibilityOf(manifest.Variants.Select(v => v.Metrics)));
        Log($"fine-tuning variant '{variant.Name}' ({sourcePath}, {graph.ParameterCount} trainable values); data set fingerprint {dataset.Fingerprint}, fresh procedural training surfaces {dataset.FreshProcedural:P0}, extra training textures {(dataset.ExtraTrainingTextures ? "yes" : "no")}, terrain training textures {(dataset.TerrainTrainingTextures ? "yes" : "no")}, aggregate training surfaces {(dataset.AggregateTrainingSurfaces ? "yes" : "no")}, minimum defect visibility {dataset.MinVisibility}");
        var validation = DefectTrainer.Generate(dataset, SurfaceSplit.Validation, o.ValidationSize);
        var parity = validation[..ParityImages];
        if (!CheckParity(o.ModelDirectory, variant.Name, parity, Forward, mean, std, "before training", Log))
        {
            Console.Error.WriteLine($"The interpreter does not reproduce ONNX Runtime on variant '{variant.Name}' (relative tolerance {ParityTolerance}); not fine-tuning.");
            return 1;
        }

        if (teacher is not null && !CheckParity(o.ModelDirectory, o.Teacher, parity, x => Outputs(teacher, inputName, x), mean, std, $"teacher '{o.Teacher}'", Log))
        {
            Console.Error.WriteLine($"The interpreter does not reproduce ONNX Runtime on the teacher variant '{o.Teacher}' (relative tolerance {ParityTolerance}); not fine-tuning.");
            return 1;
        }

        LogValidation("before", Forward, validation, mean, std, Log);
        var stepsPerEpoch = o.PoolSize / o.BatchSize;
        var optimizer = optim.AdamW(graph.Parameters, o.LearningRate, weight_decay: 1e-4);
        var scheduler = optim.lr_scheduler.OneCycleLR(optimizer, o.LearningRate, o.Epochs * stepsPerEpoch);
        var order = new SeededRandom((ulong)o.Seed);
        var x = new float[o.BatchSize * 3 * Size * Size];
        var y = new long[o.BatchSize];
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            var pool = DefectTrainer.Generate(dataset, SurfaceSplit.Train, o.PoolSize, StreamOffset + epoch);
            var perm = DefectTrainer.Shuffled(pool.Length, order);
            double lossSum = 0;
            var t0 = Stopwatch.GetTimestamp();
            for (var step = 0; step < stepsPerEpoch; step++)
            {
                using var scope = NewDisposeScope();
                DefectTrainer.FillBatch(pool, perm, step, order, Augmentation.Mild, x, y, mean, std);
                var input = tensor(x, [o.BatchSize, 3, Size, Size]);
                var (logits, cam) = Forward(input);
                var loss = DefectTrainer.Loss(logits, tensor(y, [o.BatchSize]), o.BinaryLossWeight);
                if (teacher is not null)
                {
                    Tensor teacherCam;
                    using (no_grad())
                    {
                        teacherCam = Outputs(teacher, inputName, input).Cam;
                    }

                    loss += CamDistillation(cam, teacherCam) * o.CamDistillWeight;
                }

                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                scheduler.step();
                lossSum += loss.item<float>();
            }

            Log($"epoch {epoch + 1}/{o.Epochs}: loss {lossSum / stepsPerEpoch:F4} (heatmap distillation weight {o.CamDistillWeight}), {Stopwatch.GetElapsedTime(t0).TotalSeconds:F0} s ({stepsPerEpoch} steps of {o.BatchSize}, lr peak {o.LearningRate})");
            LogValidation($"after epoch {epoch + 1}", Forward, validation, mean, std, Log);
        }

        var tuned = graph.ToModel();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        tuned.Save(outPath);
        var bytes = File.ReadAllBytes(outPath);
        Log($"wrote {outPath} ({bytes.Length} bytes): same nodes and tensor shapes as {sourcePath}, tuned weights");

        var updated = UpdateManifest(o, manifest, manifestPath, outPath, bytes);
        if (updated is not null && !CheckParity(o.ModelDirectory, updated, parity, Forward, mean, std, "after writing", Log))
        {
            Console.Error.WriteLine($"ONNX Runtime does not reproduce the tuned interpreter on '{outPath}' (relative tolerance {ParityTolerance}).");
            return 1;
        }

        File.WriteAllLines(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, Path.GetFileNameWithoutExtension(outPath) + ".finetune-log.txt"), log);
        return 0;
    }

    private static (Tensor Logits, Tensor Cam) Outputs(OnnxTorchGraph graph, string inputName, Tensor x)
    {
        var outputs = graph.Forward(new Dictionary<string, Tensor> { [inputName] = x });
        return (outputs[OnnxExport.LogitsName], outputs[OnnxExport.CamName]);
    }

    /// <summary>
    /// Mean over samples and classes of KL(teacher || student) between the spatial distributions softmax(cam[n, k, :, :])
    /// (attention transfer on the class activation maps). A softmax over cells ignores the maps' level, so the term moves
    /// where the evidence is and leaves the logits (the maps' means) to the classification loss.
    /// </summary>
    private static Tensor CamDistillation(Tensor student, Tensor teacher)
    {
        var s = nn.functional.log_softmax(student.flatten(2), 2);
        var t = nn.functional.log_softmax(teacher.flatten(2), 2);
        return (t.exp() * (t - s)).sum(2).mean();
    }

    /// <summary>
    /// When <paramref name="outPath"/> is a variant's file in the model directory, records its new hash and size (the old
    /// entry's comparison metrics no longer describe it) and returns the variant's name; otherwise <see langword="null"/>.
    /// </summary>
    private static string? UpdateManifest(FineTuneOptions o, ModelManifest manifest, string manifestPath, string outPath, byte[] bytes)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(o.ModelDirectory), Path.GetFullPath(outPath)).Replace('\\', '/');
        var entry = manifest.Variants.FirstOrDefault(v => v.File == relative);
        if (entry is null)
        {
            Console.WriteLine($"'{outPath}' is no variant's file in {manifestPath}; the manifest is unchanged.");
            return null;
        }

        entry.Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        entry.SizeBytes = bytes.Length;
        entry.Metrics.Remove("minCosine");
        entry.Metrics["fineTuneEpochs"] = o.Epochs;
        entry.Metrics["fineTuneImages"] = (double)o.Epochs * (o.PoolSize / o.BatchSize) * o.BatchSize;
        entry.Metrics["fineTuneLearningRate"] = o.LearningRate;
        entry.Metrics["fineTuneCamDistillWeight"] = o.CamDistillWeight;
        ModelManifestReader.Write(manifest, manifestPath);
        Console.WriteLine($"manifest {manifestPath}: variant '{entry.Name}' now pins the tuned file");
        return entry.Name;
    }

    /// <summary>ONNX Runtime (through <see cref="EdgeModel"/>, hash-checked) against the interpreter on the same images, every output.</summary>
    private static bool CheckParity(string directory, string variant, DefectSample[] samples, Func<Tensor, (Tensor Logits, Tensor Cam)> forward,
        float[] mean, float[] std, string when, Action<string> log)
    {
        var (tLogits, tCam) = DefectTrainer.Predict(forward, samples, mean, std);
        using var model = EdgeModel.Load(directory, new EdgeModelOptions { Variant = variant });
        var classes = tLogits.Length / samples.Length;
        var camSide = (int)Math.Sqrt(tCam.Length / samples.Length / classes);
        var shapes = new Dictionary<string, long[]>
        {
            [model.Inputs[0].Name] = [samples.Length, 3, Size, Size],
            [OnnxExport.LogitsName] = [samples.Length, classes],
            [OnnxExport.CamName] = [samples.Length, classes, camSide, camSide],
        };
        using var runner = model.CreateRunner(shapes);
        var input = runner.Input<float>(model.Inputs[0].Name);
        const int plane = 3 * Size * Size;
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i].WriteChw(input.Slice(i * plane, plane), mean, std);
        }

        runner.Run();
        var ok = true;
        foreach (var (name, reference) in new[] { (OnnxExport.LogitsName, tLogits), (OnnxExport.CamName, tCam) })
        {
            var diff = DefectTrainer.MaxAbsDiff(runner.Output<float>(name), reference);
            var scale = Math.Max(1, reference.Max(Math.Abs));
            ok &= diff <= ParityTolerance * scale;
            log($"{when}: ONNX Runtime vs interpreter on {samples.Length} validation images, '{name}': max |diff| {diff:E2} (relative {diff / scale:E2}, limit {ParityTolerance:E0})");
        }

        return ok;
    }

    private static void LogValidation(string when, Func<Tensor, (Tensor Logits, Tensor Cam)> forward, DefectSample[] validation, float[] mean, float[] std, Action<string> log)
    {
        var (logits, cams) = DefectTrainer.Predict(forward, validation, mean, std);
        var score = DefectTrainer.Score(logits, validation);

        // Pointing game as DefectEval plays it: the most likely defect class's map, its peak within 4 px of the mask.
        var classes = logits.Length / validation.Length;
        var plane = cams.Length / logits.Length;
        var side = (int)Math.Sqrt(plane);
        int hits = 0, defects = 0;
        for (var i = 0; i < validation.Length; i++)
        {
            if (validation[i].Label != DefectKind.Ok)
            {
                var k = 1 + DetectionMetrics.ArgMax(logits.AsSpan((i * classes) + 1, classes - 1));
                defects++;
                hits += DetectionMetrics.PointingHit(cams.AsSpan(((i * classes) + k) * plane, plane), side, validation[i].Mask, Size, 4) ? 1 : 0;
            }
        }

        log($"validation {when} ({validation.Length} images): AUC {score.Auc:F4}, 6-class accuracy {score.Accuracy:F4}, recall at 2% false rejects {score.Recall:F4}, pointing game {(double)hits / Math.Max(defects, 1):F4}");
    }
}
