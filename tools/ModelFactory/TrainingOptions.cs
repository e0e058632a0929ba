namespace EdgeAI.ModelFactory;

/// <summary>Settings of a defect-cnn training run; the defaults made the committed model.</summary>
internal sealed class TrainingOptions
{
    public string OutputDirectory { get; set; } = "models/defect-cnn";

    /// <summary>Passes over the training pool.</summary>
    public int Epochs { get; set; } = 7;

    /// <summary>Training images per pass; every pass generates a fresh set (its own data-set stream).</summary>
    public int PoolSize { get; set; } = 8000;

    /// <summary>Layer stack, see <see cref="DefectNet.Architecture"/>.</summary>
    public string Architecture { get; set; } = "v2";

    public int BatchSize { get; set; } = 64;

    /// <summary>Photometric jitter preset, see <see cref="ModelFactory.Augmentation.Parse"/>.</summary>
    public string Augmentation { get; set; } = "mild";

    /// <summary>Weight of the ok-vs-defect cross-entropy added to the 6-class one (0 turns it off).</summary>
    public double BinaryLossWeight { get; set; } = 1.0;

    /// <summary>Peak learning rate of the one-cycle schedule (AdamW).</summary>
    public double LearningRate { get; set; } = 0.004;

    /// <summary>Seed of weight initialization and batch order (the data set has its own seed).</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Share of procedural training samples drawn with fresh parameters, see <see cref="EdgeAI.DefectData.DefectDataset.FreshProcedural"/>.</summary>
    public double FreshProcedural { get; set; }

    /// <summary>Add the training-only texture family, see <see cref="EdgeAI.DefectData.DefectDataset.ExtraTrainingTextures"/>.</summary>
    public bool ExtraTextures { get; set; }

    /// <summary>Add the training-only procedural stone aggregates, see <see cref="EdgeAI.DefectData.DefectDataset.AggregateTrainingSurfaces"/>.</summary>
    public bool AggregateSurfaces { get; set; }

    /// <summary>Add the training-only ground photographs, see <see cref="EdgeAI.DefectData.DefectDataset.TerrainTrainingTextures"/>.</summary>
    public bool TerrainTextures { get; set; }

    /// <summary>Least defect visibility of the data, see <see cref="EdgeAI.DefectData.DefectDataset.DefaultMinVisibility"/> (0: the data of defect-cnn 1.0.0).</summary>
    public double MinVisibility { get; set; } = EdgeAI.DefectData.DefectDataset.DefaultMinVisibility;

    /// <summary>Model version written to the manifest and the ONNX producer version (a retrained model gets a new one).</summary>
    public string Version { get; set; } = "1.0.0";

    /// <summary>Validation images used to choose the threshold.</summary>
    public int ValidationSize { get; set; } = 3000;

    /// <summary>Only time a few training steps.</summary>
    public bool BenchOnly { get; set; }

    public void Validate()
    {
        if (Epochs < 1 || PoolSize < BatchSize || BatchSize < 2 || !(LearningRate > 0) || ValidationSize < 100 || !(FreshProcedural is >= 0 and <= 1) || !(MinVisibility is >= 0 and <= 10))
        {
            throw new ArgumentException("Invalid training options: need epochs >= 1, batch >= 2, pool >= batch, lr > 0, validation >= 100, fresh-procedural 0..1, min-visibility 0..10.");
        }

        if (!System.Version.TryParse(Version, out var parsed) || parsed.Build < 0 || parsed.Revision >= 0)
        {
            throw new ArgumentException($"Invalid --version '{Version}': expected MAJOR.MINOR.PATCH, e.g. 1.1.0.");
        }

        _ = ModelFactory.Augmentation.Parse(Augmentation);
    }
}
