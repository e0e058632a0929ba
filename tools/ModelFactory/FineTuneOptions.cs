namespace EdgeAI.ModelFactory;

/// <summary>Settings of <c>defect-cnn-finetune</c>: further training of a model that exists only as ONNX (e.g. a pruned variant).</summary>
internal sealed class FineTuneOptions
{
    /// <summary>Model directory (manifest.json, the variant's .onnx file).</summary>
    public string ModelDirectory { get; set; } = "models/defect-cnn";

    /// <summary>Variant whose graph is trained.</summary>
    public string FromVariant { get; set; } = "pruned";

    /// <summary>Where the tuned graph is written; the variant's own file when <see langword="null"/>.</summary>
    public string? OutputFile { get; set; }

    /// <summary>Passes, each over freshly generated training images.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Training images per pass.</summary>
    public int PoolSize { get; set; } = 8000;

    public int BatchSize { get; set; } = 64;

    /// <summary>Peak learning rate of the one-cycle schedule (AdamW); well below training's 0.004, the weights are already trained.</summary>
    public double LearningRate { get; set; } = 0.001;

    /// <summary>Seed of batch order and augmentation.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Weight of the ok-vs-defect loss term, as in training.</summary>
    public double BinaryLossWeight { get; set; } = 1.0;

    /// <summary>
    /// Weight of the heatmap distillation term (0 turns it off): KL divergence from the teacher's to the student's spatial
    /// distribution (softmax over the h x w cells) of every class map. Training's loss sees only the maps' means (the
    /// logits), so without it a pruned model's maps drift (measured: pointing game 0.21 -> 0.03, peaks ~11 px off).
    /// </summary>
    public double CamDistillWeight { get; set; } = 1.0;

    /// <summary>Share of procedural training samples drawn with fresh parameters, see <see cref="EdgeAI.DefectData.DefectDataset.FreshProcedural"/>.</summary>
    public double FreshProcedural { get; set; }

    /// <summary>Add the training-only texture family, see <see cref="EdgeAI.DefectData.DefectDataset.ExtraTrainingTextures"/>.</summary>
    public bool ExtraTextures { get; set; }

    /// <summary>Add the training-only procedural stone aggregates, see <see cref="EdgeAI.DefectData.DefectDataset.AggregateTrainingSurfaces"/>.</summary>
    public bool AggregateSurfaces { get; set; }

    /// <summary>Add the training-only ground photographs, see <see cref="EdgeAI.DefectData.DefectDataset.TerrainTrainingTextures"/>.</summary>
    public bool TerrainTextures { get; set; }

    /// <summary>Least defect visibility of the data, see <see cref="EdgeAI.DefectData.DefectDataset.DefaultMinVisibility"/>; null: the one the model's manifest records.</summary>
    public double? MinVisibility { get; set; }

    /// <summary>Variant whose class maps the student imitates (the unpruned model).</summary>
    public string Teacher { get; set; } = "fp32";

    /// <summary>Validation images scored after each pass (progress only; thresholds are picked by DefectEval).</summary>
    public int ValidationSize { get; set; } = 1000;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        Check(Epochs >= 1, "--epochs", Epochs, "at least 1");
        Check(BatchSize >= 2, "--batch", BatchSize, "at least 2");
        Check(PoolSize >= BatchSize, "--pool", PoolSize, $"at least the batch size ({BatchSize})");
        Check(LearningRate is > 0 and < 1, "--lr", LearningRate, "in (0, 1)");
        Check(BinaryLossWeight >= 0 && double.IsFinite(BinaryLossWeight), "--binary-weight", BinaryLossWeight, ">= 0");
        Check(CamDistillWeight >= 0 && double.IsFinite(CamDistillWeight), "--cam-distill", CamDistillWeight, ">= 0");
        Check(FreshProcedural is >= 0 and <= 1, "--fresh-procedural", FreshProcedural, "between 0 and 1");
        Check(MinVisibility is null or (>= 0 and <= 10), "--min-visibility", MinVisibility ?? 0, "between 0 and 10");
        Check(!string.IsNullOrWhiteSpace(Teacher), "--teacher", Teacher, "a variant name");
        Check(ValidationSize >= 100, "--validation", ValidationSize, "at least 100");
        Check(!string.IsNullOrWhiteSpace(FromVariant), "--from", FromVariant, "a variant name");
    }

    private static void Check(bool ok, string option, object value, string expected)
    {
        if (!ok)
        {
            throw new ArgumentException($"{option} {value}: expected {expected}.", option);
        }
    }
}
