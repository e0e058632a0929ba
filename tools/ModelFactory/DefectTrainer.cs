using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EdgeAI.DefectData;
using EdgeAI.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAI.ModelFactory;

/// <summary>
/// Trains the defect CNN on the synthetic training surfaces, picks the decision threshold on the validation
/// surfaces, exports ONNX, checks ONNX Runtime against TorchSharp and writes the model directory.
/// </summary>
internal static class DefectTrainer
{
    private const int Size = DefectDataset.ImageSize;
    private const int Plane = 3 * Size * Size;
    private const double FalseRejectTarget = 0.02;

    public static int Run(TrainingOptions o)
    {
        // One thread: libtorch's multi-threaded kernels change results run to run (FIELD-NOTES).
        torch.set_num_threads(1);
        torch.manual_seed(o.Seed);
        var log = new List<string>();
        var clock = Stopwatch.StartNew();
        void Log(string line)
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,7:F1}s] {line}");
            Console.WriteLine(text);
            log.Add(text);
        }

        var dataset = DefectDataset.Create(DefectDataset.DefaultSeed, freshProcedural: o.FreshProcedural, extraTrainingTextures: o.ExtraTextures, aggregateTrainingSurfaces: o.AggregateSurfaces, terrainTrainingTextures: o.TerrainTextures, minVisibility: o.MinVisibility);
        Log($"data set seed {dataset.Seed}, fingerprint {dataset.Fingerprint}, fresh procedural training surfaces {dataset.FreshProcedural:P0}, extra training textures {(dataset.ExtraTrainingTextures ? "yes" : "no")}, terrain training textures {(dataset.TerrainTrainingTextures ? "yes" : "no")}, aggregate training surfaces {(dataset.AggregateTrainingSurfaces ? "yes" : "no")}, minimum defect visibility {dataset.MinVisibility}");
        Log($"train surfaces: {string.Join(' ', dataset.SourcesOf(SurfaceSplit.Train).Select(s => s.Name))}");
        Log($"validation surfaces: {string.Join(' ', dataset.SourcesOf(SurfaceSplit.Validation).Select(s => s.Name))}");

        var poolSize = o.BenchOnly ? o.BatchSize * 10 : o.PoolSize;
        var pool = Generate(dataset, SurfaceSplit.Train, poolSize, stream: 0);
        var validation = Generate(dataset, SurfaceSplit.Validation, o.BenchOnly ? 200 : o.ValidationSize);
        Log($"generated {pool.Length} training and {validation.Length} validation images");
        var (mean, std) = ChannelStats(pool);
        Log($"channel mean {string.Join(", ", mean.Select(F))}, std {string.Join(", ", std.Select(F))}");

        using var net = new DefectNet(DefectLabels.Count, o.Architecture);
        var parameters = net.parameters().Sum(p => p.numel());
        var augmentation = Augmentation.Parse(o.Augmentation);
        Log($"DefectNet '{o.Architecture}': {parameters} parameters; {o.Epochs} epochs of {pool.Length} fresh images each, batch {o.BatchSize}, AdamW one-cycle lr {o.LearningRate}, ok-vs-defect loss weight {o.BinaryLossWeight}, augmentation {o.Augmentation} {augmentation}, seed {o.Seed}");
        var stepsPerEpoch = pool.Length / o.BatchSize;
        var epochs = o.BenchOnly ? 1 : o.Epochs;
        var optimizer = optim.AdamW(net.parameters(), o.LearningRate, weight_decay: 1e-4);
        var scheduler = optim.lr_scheduler.OneCycleLR(optimizer, o.LearningRate, epochs * stepsPerEpoch);
        var order = new SeededRandom((ulong)o.Seed);
        var x = new float[o.BatchSize * Plane];
        var y = new long[o.BatchSize];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            if (epoch > 0)
            {
                // A fresh pool per pass: more surface views, defect placements and camera settings than one fixed pool.
                pool = Generate(dataset, SurfaceSplit.Train, poolSize, stream: epoch);
            }

            net.train();
            var perm = Shuffled(pool.Length, order);
            double lossSum = 0;
            var t0 = Stopwatch.GetTimestamp();
            for (var step = 0; step < stepsPerEpoch; step++)
            {
                using var scope = NewDisposeScope();
                FillBatch(pool, perm, step, order, augmentation, x, y, mean, std);
                var input = tensor(x, [o.BatchSize, 3, Size, Size]);
                var target = tensor(y, [o.BatchSize]);
                var (logits, _) = net.forward(input);
                var loss = Loss(logits, target, o.BinaryLossWeight);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                scheduler.step();
                lossSum += loss.item<float>();
                if (o.BenchOnly && step == 2)
                {
                    t0 = Stopwatch.GetTimestamp();
                }
            }

            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (o.BenchOnly)
            {
                Log($"bench: {(seconds / (stepsPerEpoch - 3)) * 1000:F0} ms per step of {o.BatchSize}");
                return 0;
            }

            // Progress only: the first third of the validation images.
            var progress = validation[..(validation.Length / 3)];
            var (valLogits, _) = Predict(net, progress, mean, std);
            var val = Score(valLogits, progress);
            Log($"epoch {epoch + 1}/{epochs}: loss {lossSum / stepsPerEpoch:F4}, {seconds:F0} s; validation AUC {val.Auc:F4}, accuracy {val.Accuracy:F4}, recall at 2% FRR {val.Recall:F4}");
        }

        // Threshold on held-out validation surfaces; the test split is never looked at here.
        var (vLogits, _) = Predict(net, validation, mean, std);
        var final = Score(vLogits, validation);
        Log($"validation: AUC {final.Auc:F4}, threshold {final.Threshold:R} gives recall {final.Recall:F4} at {FalseRejectTarget:P0} false rejects");

        return WriteModel(o, net, parameters, dataset, validation, mean, std, final, log, Log);
    }

    private static int WriteModel(TrainingOptions o, DefectNet net, long parameters, DefectDataset dataset, DefectSample[] validation,
        float[] mean, float[] std, (double Auc, double Accuracy, double Threshold, double Recall) val, List<string> log, Action<string> Log)
    {
        var dir = o.OutputDirectory;
        Directory.CreateDirectory(Path.Combine(dir, "sample"));
        net.eval();
        var onnx = OnnxExport.Export(net, DefectLabels.Count, Size, o.Version);
        var onnxPath = Path.Combine(dir, "model.fp32.onnx");
        File.WriteAllBytes(onnxPath, onnx);

        // Self-test sample: the first defective validation image.
        var sample = validation.First(s => s.Label != DefectKind.Ok);
        var sampleInput = new float[Plane];
        sample.WriteChw(sampleInput, mean, std);
        var (sLogits, sCam) = Predict(net, [sample], mean, std);
        File.WriteAllBytes(Path.Combine(dir, "sample", "image.bin"), MemoryMarshal.AsBytes(sampleInput.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "sample", "fp32.logits.bin"), MemoryMarshal.AsBytes(sLogits.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "sample", "fp32.cam.bin"), MemoryMarshal.AsBytes(sCam.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "sample", "image.png"), PngWriter.EncodeRgb(sample.Rgb, Size, Size));
        Log($"self-test sample: a validation '{sample.Label.ToString().ToLowerInvariant()}' on {sample.Surface}");

        var manifest = new ModelManifest
        {
            Name = "defect-cnn",
            Version = o.Version,
            Task = "image-classification",
            Description = "Surface defect classifier with class activation maps: ok / scratch / crack / spot / hole / dent on 64x64 RGB views of a part. "
                + "Reject a part when 1 - softmax(logits)[ok] > the loaded variant's defect threshold (variants[i].thresholds.defect, else thresholds.defect). cam[n, k] is class k's 16x16 heatmap (cell (i, j) covers pixel rows 4i..4i+3, columns 4j..4j+3); "
                + $"its spatial {(net.MaxLogits ? "maximum" : "mean")} equals logits[n, k]. Trained on synthetic data only (see MODEL_CARD.md).",
            Inputs = [new TensorSpec { Name = OnnxExport.InputName, Dtype = "float32", Shape = [-1, 3, Size, Size], Description = "NCHW RGB, (pixel / 255 - mean[c]) / std[c]" }],
            Outputs =
            [
                new TensorSpec { Name = OnnxExport.LogitsName, Dtype = "float32", Shape = [-1, DefectLabels.Count], Description = "class logits, index-aligned with labels" },
                new TensorSpec { Name = OnnxExport.CamName, Dtype = "float32", Shape = [-1, DefectLabels.Count, DefectNet.CamSide, DefectNet.CamSide], Description = "class activation maps, row-major 16x16; cell (i, j) covers pixel rows 4i..4i+3, columns 4j..4j+3 (centre 4i+1.5, 4j+1.5)" },
            ],
            Preprocessing = new PreprocessingSpec
            {
                Kind = "image",
                Width = Size,
                Height = Size,
                Channels = 3,
                Mean = mean,
                Std = std,
                Parameters = new() { ["camCellPixels"] = Size / DefectNet.CamSide },
            },
            Labels = [.. DefectLabels.All],
            Thresholds = new() { ["defect"] = val.Threshold },
            DefaultVariant = "fp32",
            Variants =
            [
                new ModelVariant
                {
                    Name = "fp32",
                    File = "model.fp32.onnx",
                    Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)),
                    SizeBytes = onnx.Length,
                    Metrics = new()
                    {
                        ["parameters"] = parameters,
                        ["validationRocAuc"] = Math.Round(val.Auc, 5),
                        ["validationRecallAtThreshold"] = Math.Round(val.Recall, 5),
                        ["validationAccuracy6Class"] = Math.Round(val.Accuracy, 5),
                        [DefectDataset.MinVisibilityMetric] = dataset.MinVisibility,
                    },
                    Session = new SessionSettings { IntraOpThreads = 1 },
                },
            ],
            Sample = new SampleSpec
            {
                Inputs = new() { [OnnxExport.InputName] = "sample/image.bin" },
                Expected =
                [
                    new ExpectedOutput { Variant = "fp32", Output = OnnxExport.LogitsName, File = "sample/fp32.logits.bin", Tolerance = 1e-4 },
                    // CAM values reach ~25 (logits are their mean), so float32 reordering (folded batch norm, other
                    // CPU kernels on the board) moves them more in absolute terms: 5e-4 is ~2e-5 of their range.
                    new ExpectedOutput { Variant = "fp32", Output = OnnxExport.CamName, File = "sample/fp32.cam.bin", Tolerance = 5e-4 },
                ],
            },
        };
        var manifestPath = Path.Combine(dir, ModelManifest.FileName);
        ModelManifestReader.Write(manifest, manifestPath);

        // ONNX Runtime (through EdgeModel, hash-checked) against TorchSharp on a batch of validation images.
        var parity = validation.Take(32).ToArray();
        var (tLogits, tCam) = Predict(net, parity, mean, std);
        double maxLogit = 0, maxCam = 0;
        using (var model = EdgeModel.Load(dir))
        {
            var shapes = new Dictionary<string, long[]>
            {
                [OnnxExport.InputName] = [parity.Length, 3, Size, Size],
                [OnnxExport.LogitsName] = [parity.Length, DefectLabels.Count],
                [OnnxExport.CamName] = [parity.Length, DefectLabels.Count, DefectNet.CamSide, DefectNet.CamSide],
            };
            using var runner = model.CreateRunner(shapes);
            var input = runner.Input<float>(OnnxExport.InputName);
            for (var i = 0; i < parity.Length; i++)
            {
                parity[i].WriteChw(input.Slice(i * Plane, Plane), mean, std);
            }

            runner.Run();
            maxLogit = MaxAbsDiff(runner.Output<float>(OnnxExport.LogitsName), tLogits);
            maxCam = MaxAbsDiff(runner.Output<float>(OnnxExport.CamName), tCam);
        }

        foreach (var result in ModelSelfTest.RunModel(dir))
        {
            Log($"selftest of the written directory: {result}");
        }

        Log($"ONNX Runtime vs TorchSharp on {parity.Length} validation images: max |diff| logits {maxLogit:E2}, cam {maxCam:E2}");
        manifest.Variants[0].Metrics["exportMaxAbsDiffLogits"] = maxLogit;
        manifest.Variants[0].Metrics["exportMaxAbsDiffCam"] = maxCam;
        ModelManifestReader.Write(manifest, manifestPath);

        // Relative criterion: 1e-5 of each output's largest magnitude (float32 rounding across ~1000-term sums).
        var logitScale = Math.Max(1, tLogits.Max(Math.Abs));
        var camScale = Math.Max(1, tCam.Max(Math.Abs));
        Log($"largest |value|: logits {logitScale:F2}, cam {camScale:F2}; relative max |diff| {maxLogit / logitScale:E2}, {maxCam / camScale:E2} (limit 1e-5)");
        File.WriteAllLines(Path.Combine(dir, "training-log.txt"), log);
        if (maxLogit > 1e-5 * logitScale || maxCam > 1e-5 * camScale)
        {
            Console.Error.WriteLine("ONNX export does not match TorchSharp (relative tolerance 1e-5).");
            return 1;
        }

        Console.WriteLine($"wrote {dir}");
        return 0;
    }

    internal static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    /// <summary>
    /// Cross-entropy over the 6 classes plus <paramref name="binaryWeight"/> times the cross-entropy of ok vs defect,
    /// whose defect logit is logsumexp of the defect classes' logits (so its softmax equals 1 - p(ok)). The reject
    /// decision uses only that split; the extra term keeps "which defect" mix-ups from diluting it.
    /// </summary>
    internal static Tensor Loss(Tensor logits, Tensor target, double binaryWeight)
    {
        var loss = nn.functional.cross_entropy(logits, target);
        if (binaryWeight <= 0)
        {
            return loss;
        }

        var okLogit = logits.narrow(1, 0, 1);
        var defectLogit = logits.narrow(1, 1, logits.shape[1] - 1).logsumexp(1, keepdim: true);
        var binary = nn.functional.cross_entropy(cat([okLogit, defectLogit], 1), (target > 0).to(int64));
        return loss + (binary * binaryWeight);
    }

    internal static DefectSample[] Generate(DefectDataset dataset, SurfaceSplit split, int count, int stream = 0)
    {
        var samples = new DefectSample[count];
        Parallel.For(0, count, i => samples[i] = dataset.Generate(split, i, stream));
        return samples;
    }

    private static string F(float v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static (float[] Mean, float[] Std) ChannelStats(DefectSample[] samples)
    {
        var sum = new double[3];
        var sq = new double[3];
        long n = 0;
        foreach (var s in samples)
        {
            for (var i = 0; i < s.Rgb.Length; i += 3)
            {
                for (var c = 0; c < 3; c++)
                {
                    var v = s.Rgb[i + c] / 255.0;
                    sum[c] += v;
                    sq[c] += v * v;
                }
            }

            n += s.Rgb.Length / 3;
        }

        // Rounded to 3 decimals: the manifest carries them, so they should read as constants.
        var mean = new float[3];
        var std = new float[3];
        for (var c = 0; c < 3; c++)
        {
            var m = sum[c] / n;
            mean[c] = (float)Math.Round(m, 3);
            std[c] = (float)Math.Round(Math.Sqrt((sq[c] / n) - (m * m)), 3);
        }

        return (mean, std);
    }

    /// <summary>A random order of 0..n-1 (Fisher-Yates) from <paramref name="rng"/>.</summary>
    internal static int[] Shuffled(int n, SeededRandom rng)
    {
        var perm = Enumerable.Range(0, n).ToArray();
        for (var i = perm.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }

        return perm;
    }

    /// <summary>Writes training batch <paramref name="step"/> (samples <c>perm[step * batch ..]</c>, augmented) into <paramref name="x"/> and its labels into <paramref name="y"/>.</summary>
    internal static void FillBatch(DefectSample[] pool, int[] perm, int step, SeededRandom rng, Augmentation augmentation, float[] x, long[] y, float[] mean, float[] std)
    {
        for (var b = 0; b < y.Length; b++)
        {
            var sample = pool[perm[(step * y.Length) + b]];
            WriteAugmented(sample, rng, augmentation, x.AsSpan(b * Plane, Plane), mean, std);
            y[b] = (long)sample.Label;
        }
    }

    /// <summary>
    /// Writes a sample under one of the 8 flips/rotations of the square (labels are invariant to them) and the
    /// photometric jitter of <paramref name="a"/>. Draws nothing for the parts <paramref name="a"/> turns off, so the
    /// <see cref="Augmentation.Mild"/> recipe gives the same batches as before the stronger options existed.
    /// </summary>
    private static void WriteAugmented(DefectSample s, SeededRandom rng, Augmentation a, Span<float> chw, float[] mean, float[] std)
    {
        var plane = Size * Size;
        var transform = rng.NextInt(8);
        var contrast = (float)rng.Uniform(a.ContrastMin, a.ContrastMax);
        var brightness = (float)rng.Uniform(-a.Brightness, a.Brightness);
        Span<float> gain = [(float)rng.Uniform(1 - a.Gain, 1 + a.Gain), (float)rng.Uniform(1 - a.Gain, 1 + a.Gain), (float)rng.Uniform(1 - a.Gain, 1 + a.Gain)];
        var gamma = a.GammaMax > 1 ? (float)Math.Exp(rng.Uniform(-Math.Log(a.GammaMax), Math.Log(a.GammaMax))) : 1f;
        Span<int> channel = [0, 1, 2];
        if (a.ChannelShuffle > 0 && rng.Chance(a.ChannelShuffle))
        {
            for (var i = 2; i > 0; i--)
            {
                var j = rng.NextInt(i + 1);
                (channel[i], channel[j]) = (channel[j], channel[i]);
            }
        }

        var grey = a.Grayscale > 0 && rng.Chance(a.Grayscale);
        long total = 0;
        foreach (var b in s.Rgb)
        {
            total += b;
        }

        var imageMean = total / (255f * s.Rgb.Length);
        Span<float> v = stackalloc float[3];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var (sx, sy) = transform switch
                {
                    0 => (x, y),
                    1 => (Size - 1 - x, y),
                    2 => (x, Size - 1 - y),
                    3 => (Size - 1 - x, Size - 1 - y),
                    4 => (y, x),
                    5 => (Size - 1 - y, x),
                    6 => (y, Size - 1 - x),
                    _ => (Size - 1 - y, Size - 1 - x),
                };
                var src = ((sy * Size) + sx) * 3;
                for (var c = 0; c < 3; c++)
                {
                    v[c] = ((((s.Rgb[src + channel[c]] / 255f) - imageMean) * contrast) + imageMean + brightness) * gain[c];
                }

                if (grey)
                {
                    v.Fill((v[0] + v[1] + v[2]) / 3);
                }

                for (var c = 0; c < 3; c++)
                {
                    var clamped = Math.Clamp(v[c], 0f, 1f);
                    if (gamma != 1f)
                    {
                        clamped = MathF.Pow(clamped, gamma);
                    }

                    chw[(c * plane) + (y * Size) + x] = (clamped - mean[c]) / std[c];
                }
            }
        }
    }

    /// <summary>Eval-mode outputs for a list of samples: logits [n, classes] and cam [n, classes, 16, 16], flattened.</summary>
    private static (float[] Logits, float[] Cam) Predict(DefectNet net, DefectSample[] samples, float[] mean, float[] std)
    {
        net.eval();
        return Predict(net.forward, samples, mean, std);
    }

    /// <summary>Outputs of <paramref name="forward"/> (no gradients) for a list of samples: logits [n, classes] and cam [n, classes, h, w], flattened.</summary>
    internal static (float[] Logits, float[] Cam) Predict(Func<Tensor, (Tensor Logits, Tensor Cam)> forward, DefectSample[] samples, float[] mean, float[] std)
    {
        const int batch = 100;
        var logits = new List<float>(samples.Length * DefectLabels.Count);
        var cams = new List<float>(samples.Length * DefectLabels.Count * DefectNet.CamSide * DefectNet.CamSide);
        using var noGrad = no_grad();
        for (var start = 0; start < samples.Length; start += batch)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batch, samples.Length - start);
            var x = new float[n * Plane];
            for (var i = 0; i < n; i++)
            {
                samples[start + i].WriteChw(x.AsSpan(i * Plane, Plane), mean, std);
            }

            var (l, c) = forward(tensor(x, [n, 3, Size, Size]));
            logits.AddRange(l.contiguous().data<float>().ToArray());
            cams.AddRange(c.contiguous().data<float>().ToArray());
        }

        return ([.. logits], [.. cams]);
    }

    internal static (double Auc, double Accuracy, double Threshold, double Recall) Score(float[] logits, DefectSample[] samples)
    {
        var k = DefectLabels.Count;
        var scores = new double[samples.Length];
        var positive = new bool[samples.Length];
        var correct = 0;
        for (var i = 0; i < samples.Length; i++)
        {
            var row = logits.AsSpan(i * k, k);
            double max = double.NegativeInfinity;
            var arg = 0;
            for (var j = 0; j < k; j++)
            {
                if (row[j] > max)
                {
                    max = row[j];
                    arg = j;
                }
            }

            double sum = 0;
            for (var j = 0; j < k; j++)
            {
                sum += Math.Exp(row[j] - max);
            }

            scores[i] = 1 - (Math.Exp(row[0] - max) / sum);
            positive[i] = samples[i].Label != DefectKind.Ok;
            correct += arg == (int)samples[i].Label ? 1 : 0;
        }

        var okScores = scores.Where((_, i) => !positive[i]).ToArray();
        var defectScores = scores.Where((_, i) => positive[i]).ToArray();
        var threshold = DetectionMetrics.ThresholdForFalseRejectRate(okScores, FalseRejectTarget);
        return (DetectionMetrics.RocAuc(scores, positive), (double)correct / samples.Length, threshold, DetectionMetrics.FractionAbove(defectScores, threshold));
    }
}
