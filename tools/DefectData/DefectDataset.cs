using System.Security.Cryptography;
using System.Text;

namespace EdgeAI.DefectData;

/// <summary>
/// The seeded synthetic defect data set. Sample <c>i</c> of a split is a pure function of
/// (<see cref="Seed"/>, split, stream, i): regenerating it anywhere gives the same bytes.
/// </summary>
/// <remarks>
/// Surface sources are split whole: within each family, sorted by name, source <c>k</c> goes to test when
/// <c>k % 5 == 2</c>, to validation when <c>k % 5 == 4</c>, otherwise to training. The test metric is therefore
/// measured on textures and material parameter sets the model never saw. The optional
/// <see cref="TextureLibrary.ExtraFamily"/> (see <see cref="ExtraTrainingTextures"/>), <see cref="TextureLibrary.TerrainFamily"/>
/// (see <see cref="TerrainTrainingTextures"/>) and <see cref="AggregateSurface.FamilyName"/> (see
/// <see cref="AggregateTrainingSurfaces"/>) go to training whole, <see cref="TextureLibrary.TerrainHoldoutFamily"/> (see
/// <see cref="TerrainValidation"/>) to validation whole.
/// </remarks>
public sealed class DefectDataset
{
    /// <summary>Seed of the committed model's data set (training, validation and test).</summary>
    public const ulong DefaultSeed = 20261125;

    /// <summary>Side length of the images.</summary>
    public const int ImageSize = 64;

    /// <summary>Variants generated per procedural family.</summary>
    public const int ProceduralVariants = 10;

    /// <summary>Probability that a sample is <see cref="DefectKind.Ok"/>; the rest is spread evenly over the defect kinds.</summary>
    public const double OkProbability = 0.4;

    /// <summary>
    /// Least contrast of a drawn defect: mean absolute change of its mask pixels over all channels, 0..1 scale, before
    /// the camera's lighting, blur and noise (~20 of 255 levels). Fainter drawings are scaled up so every label is visible.
    /// </summary>
    public const double MinDefectContrast = 0.08;

    /// <summary>
    /// Least visibility of a drawn defect (<see cref="DefectVisibility.Ratio"/>: its contrast over the unpainted surface's
    /// local contrast) in the current data definition: fainter drawings are scaled up to it, as far as clipping allows.
    /// At 64x64 most defects below 2 cannot be seen by eye on busy textures (gravel, fabric, wood rings); 0 gives the data
    /// of defect-cnn 1.0.0, which had only the absolute <see cref="MinDefectContrast"/>.
    /// </summary>
    public const double DefaultMinVisibility = 2.0;

    /// <summary>
    /// Key of a model variant's metrics (manifest.json) that records the <see cref="MinVisibility"/> of the data its metrics
    /// were measured on, so an evaluation regenerates the same images. A manifest without it was measured on the current
    /// definition (<see cref="DefaultMinVisibility"/>); defect-cnn 1.0.0 records 0.
    /// </summary>
    public const string MinVisibilityMetric = "dataMinVisibility";

    private readonly Dictionary<SurfaceSplit, Dictionary<string, List<SurfaceSource>>> _byFamily = [];

    private DefectDataset(ulong seed, List<SurfaceSource> sources, string fingerprint, double freshProcedural, bool extraTrainingTextures, bool terrainTrainingTextures, bool terrainValidation, bool aggregateTrainingSurfaces, double minVisibility)
    {
        Seed = seed;
        MinVisibility = minVisibility;
        FreshProcedural = freshProcedural;
        ExtraTrainingTextures = extraTrainingTextures;
        TerrainTrainingTextures = terrainTrainingTextures;
        TerrainValidation = terrainValidation;
        AggregateTrainingSurfaces = aggregateTrainingSurfaces;
        Sources = sources;
        Fingerprint = fingerprint;
        foreach (var split in Enum.GetValues<SurfaceSplit>())
        {
            _byFamily[split] = [];
        }

        foreach (var group in sources.GroupBy(s => s.Family).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var k = 0;
            foreach (var source in group.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                var split = group.Key switch
                {
                    TextureLibrary.ExtraFamily or TextureLibrary.TerrainFamily or AggregateSurface.FamilyName => SurfaceSplit.Train,
                    TextureLibrary.TerrainHoldoutFamily => SurfaceSplit.Validation,
                    _ => SplitOf(k++),
                };
                if (!_byFamily[split].TryGetValue(group.Key, out var list))
                {
                    list = [];
                    _byFamily[split][group.Key] = list;
                }

                list.Add(source);
            }
        }
    }

    /// <summary>The data set seed.</summary>
    public ulong Seed { get; }

    /// <summary>All surface sources, every split.</summary>
    public IReadOnlyList<SurfaceSource> Sources { get; }

    /// <summary>
    /// Share of training samples on a procedural family that get a parameter set of their own (a variant number
    /// &gt;= <see cref="ProceduralVariants"/>, so never a validation or test one) instead of one of the family's fixed
    /// training sets. 0 (the recipe up to defect-cnn v7) leaves every sample as it was; validation and test never change.
    /// </summary>
    public double FreshProcedural { get; }

    /// <summary>
    /// Whether the training split also holds <see cref="TextureLibrary.ExtraTrainingPatterns"/> as a family of its own
    /// (drawn as often as each other family). Validation and test have no source of it, so they do not change.
    /// </summary>
    public bool ExtraTrainingTextures { get; }

    /// <summary>
    /// Whether the training split also holds <see cref="TextureLibrary.TerrainTrainingTextures"/> (ground photographs: pebbles,
    /// rock, dirt) as a family of its own, drawn as often as each other family. Validation and test have no source of it, so
    /// they do not change.
    /// </summary>
    public bool TerrainTrainingTextures { get; }

    /// <summary>
    /// Whether the validation split also holds <see cref="TextureLibrary.TerrainHoldoutTextures"/> as a family of its own (an
    /// evaluation option: no trainer sets it, so they are never trained on). It changes the validation split, not the test split.
    /// </summary>
    public bool TerrainValidation { get; }

    /// <summary>
    /// Whether the training split also holds the procedural <see cref="AggregateSurface"/> family (gravel, crushed stone,
    /// concrete; a fresh parameter set per sample), drawn as often as each other family. Validation and test have no source of
    /// it, so they do not change.
    /// </summary>
    public bool AggregateTrainingSurfaces { get; }

    /// <summary>Least visibility every split's defects are raised to, see <see cref="DefaultMinVisibility"/>.</summary>
    public double MinVisibility { get; }

    /// <summary>SHA-256 over the texture files' bytes, the sorted source names and <see cref="MinVisibility"/> (when not 0): equal fingerprints, equal validation and test data.</summary>
    public string Fingerprint { get; }

    /// <summary>Which split a source at position <paramref name="k"/> (sorted within its family) belongs to.</summary>
    public static SurfaceSplit SplitOf(int k) => (k % 5) switch
    {
        2 => SurfaceSplit.Test,
        4 => SurfaceSplit.Validation,
        _ => SurfaceSplit.Train,
    };

    /// <summary>
    /// Builds the data set from the installed textures plus the procedural families.
    /// </summary>
    /// <param name="seed">Data set seed.</param>
    /// <param name="requireTextures">Throw when a listed texture is missing (so a metric is never measured on a different set).</param>
    /// <param name="freshProcedural">See <see cref="FreshProcedural"/>; 0 to 1.</param>
    /// <param name="extraTrainingTextures">See <see cref="ExtraTrainingTextures"/> (needs Debian's <c>gimp-data-extras</c>).</param>
    /// <exception cref="FileNotFoundException">A listed texture is missing and <paramref name="requireTextures"/> is set.</exception>
    /// <param name="minVisibility">See <see cref="MinVisibility"/>; 0 to 10.</param>
    /// <param name="aggregateTrainingSurfaces">See <see cref="AggregateTrainingSurfaces"/>.</param>
    /// <param name="terrainTrainingTextures">See <see cref="TerrainTrainingTextures"/> (needs Debian's <c>extremetuxracer-data</c>).</param>
    /// <param name="terrainValidation">See <see cref="TerrainValidation"/> (needs Debian's <c>extremetuxracer-data</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="freshProcedural"/> is outside 0..1 or <paramref name="minVisibility"/> outside 0..10.</exception>
    public static DefectDataset Create(ulong seed, bool requireTextures = true, double freshProcedural = 0, bool extraTrainingTextures = false, double minVisibility = DefaultMinVisibility, bool aggregateTrainingSurfaces = false, bool terrainTrainingTextures = false, bool terrainValidation = false)
    {
        if (!(minVisibility >= 0 && minVisibility <= 10))
        {
            throw new ArgumentOutOfRangeException(nameof(minVisibility), minVisibility, "The minimum defect visibility must be between 0 (absolute minimum contrast only) and 10.");
        }

        if (!(freshProcedural >= 0 && freshProcedural <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(freshProcedural), freshProcedural, "The share of fresh procedural training surfaces must be between 0 and 1.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var missing = new List<string>();
        var sources = TextureLibrary.Load(missing, hash);
        if (extraTrainingTextures)
        {
            sources.AddRange(TextureLibrary.LoadExtraTraining(missing, hash));
        }

        if (terrainTrainingTextures)
        {
            sources.AddRange(TextureLibrary.LoadTerrainTraining(missing, hash));
        }

        if (terrainValidation)
        {
            sources.AddRange(TextureLibrary.LoadTerrainHoldout(missing, hash));
        }

        if (missing.Count > 0 && requireTextures)
        {
            throw new FileNotFoundException(
                $"Texture sources missing: {string.Join(", ", missing)}. Install them with: apt-get install -y python3-skimage gimp-data{(extraTrainingTextures ? " gimp-data-extras" : "")}{(terrainTrainingTextures || terrainValidation ? " extremetuxracer-data" : "")}", missing[0]);
        }

        foreach (var family in ProceduralSurface.Families)
        {
            for (var v = 0; v < ProceduralVariants; v++)
            {
                sources.Add(new ProceduralSurface(family, v));
            }
        }

        if (aggregateTrainingSurfaces)
        {
            sources.Add(new AggregateSurface());
        }

        foreach (var s in sources.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(s.Name + "\n"));
        }

        if (minVisibility > 0)
        {
            // It changes every split's defects; 0 keeps the fingerprint of the data before the option existed.
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"min-visibility {minVisibility:R}\n")));
        }

        return new DefectDataset(seed, sources, Convert.ToHexStringLower(hash.GetHashAndReset()), freshProcedural, extraTrainingTextures, terrainTrainingTextures, terrainValidation, aggregateTrainingSurfaces, minVisibility);
    }

    /// <summary>
    /// The data definition a model was measured on, from its variants' metrics: the <see cref="MinVisibilityMetric"/> the
    /// variants that record it give, else <see cref="DefaultMinVisibility"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Two variants record different definitions (their metrics are not comparable).</exception>
    public static double MinVisibilityOf(IEnumerable<IReadOnlyDictionary<string, double>> variantMetrics)
    {
        ArgumentNullException.ThrowIfNull(variantMetrics);
        var recorded = variantMetrics.Select(m => m.TryGetValue(MinVisibilityMetric, out var v) ? v : (double?)null).OfType<double>().Distinct().ToArray();
        return recorded.Length switch
        {
            0 => DefaultMinVisibility,
            1 => recorded[0],
            _ => throw new InvalidDataException($"The model's variants record different data definitions ('{MinVisibilityMetric}': {string.Join(", ", recorded)}); measure them on one."),
        };
    }

    /// <summary>The sources of one split.</summary>
    public IEnumerable<SurfaceSource> SourcesOf(SurfaceSplit split) =>
        _byFamily[split].Values.SelectMany(l => l).OrderBy(s => s.Name, StringComparer.Ordinal);

    /// <summary>
    /// Generates sample <paramref name="index"/> of <paramref name="split"/>. <paramref name="stream"/> selects an
    /// independent sequence (training uses one stream per epoch, so every epoch sees fresh samples).
    /// </summary>
    public DefectSample Generate(SurfaceSplit split, long index, int stream = 0)
    {
        var rng = new SeededRandom(SeededRandom.Mix(Seed, ((ulong)split << 32) | (uint)stream, (ulong)index));
        var label = rng.Chance(OkProbability) ? DefectKind.Ok : (DefectKind)(1 + rng.NextInt(DefectLabels.Count - 1));
        return Generate(split, rng, label);
    }

    /// <summary>Generates a sample of a given class from <paramref name="rng"/> (used by tests and previews).</summary>
    public DefectSample Generate(SurfaceSplit split, SeededRandom rng, DefectKind label)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var families = _byFamily[split];
        if (families.Count == 0)
        {
            throw new InvalidOperationException($"Split {split} has no surface sources.");
        }

        // Families are drawn evenly so that one large family (GIMP patterns) does not dominate.
        var familyNames = families.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var list = families[familyNames[rng.NextInt(familyNames.Length)]];
        var source = list[rng.NextInt(list.Count)];
        if (split == SurfaceSplit.Train && FreshProcedural > 0 && source is ProceduralSurface && rng.Chance(FreshProcedural))
        {
            // Domain randomization within the family: six fixed parameter sets cover its ranges thinly (a held-out wood
            // with dense high-contrast rings was read as 'ok' whatever was on it). Variants 0..9 stay the fixed sources.
            source = new ProceduralSurface(source.Family, ProceduralVariants + rng.NextInt(1 << 30));
        }

        return Render(source, rng, label);
    }

    /// <summary>
    /// Generates picture <paramref name="index"/> of a given <paramref name="label"/> on one <paramref name="source"/> of
    /// <paramref name="split"/>, from a sequence of its own (<paramref name="stream"/>) that no sample of
    /// <see cref="Generate(SurfaceSplit, long, int)"/> shares: a line's pictures of one surface, e.g. the good parts a reject
    /// threshold is taught from.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="source"/> is not a source of <paramref name="split"/>.</exception>
    public DefectSample GenerateOn(SurfaceSource source, SurfaceSplit split, long index, int stream, DefectKind label)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!_byFamily[split].TryGetValue(source.Family, out var list) || !list.Contains(source))
        {
            throw new ArgumentException($"Surface '{source.Name}' is not a {split} source.", nameof(source));
        }

        // The top bit of the stream word keeps these sequences apart from Generate's (whose stream is an epoch number).
        var rng = new SeededRandom(SeededRandom.Mix(Seed, ((ulong)split << 32) | (1UL << 31) | (uint)stream, (ulong)index));
        return Render(source, rng, label);
    }

    /// <summary>
    /// Good-part picture <paramref name="index"/> of one <paramref name="source"/> of <paramref name="split"/>, on the stream of
    /// its position among <see cref="SourcesOf"/>: the pictures DefectEval teaches a surface's own threshold from, and
    /// exports with <c>--export-good</c>.
    /// </summary>
    public DefectSample GenerateGoodPart(SurfaceSource source, SurfaceSplit split, long index)
    {
        ArgumentNullException.ThrowIfNull(source);
        var stream = SourcesOf(split).TakeWhile(s => !ReferenceEquals(s, source)).Count();
        return GenerateOn(source, split, index, stream, DefectKind.Ok);
    }

    private DefectSample Render(SurfaceSource source, SeededRandom rng, DefectKind label)
    {
        const int size = ImageSize;
        var rgb = new float[size * size * 3];
        var mask = new byte[size * size];
        source.Render(rng, rgb, size);
        DefectVisibility visibility = default;
        var drawnContrast = label != DefectKind.Ok ? DefectPainter.Paint(label, rng, rgb, mask, size, MinVisibility, out visibility) : 0;

        ApplyCamera(rng, rgb, size);
        var bytes = new byte[rgb.Length];
        for (var i = 0; i < rgb.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp((int)Math.Round(rgb[i] * 255.0), 0, 255);
        }

        return new DefectSample(bytes, mask, label, source.Name, size) { DrawnContrast = drawnContrast, Visibility = visibility };
    }

    /// <summary>Lighting gradient and exposure, focus blur and sensor noise: what the line camera adds.</summary>
    private static void ApplyCamera(SeededRandom rng, float[] rgb, int size)
    {
        var exposure = rng.Uniform(0.75, 1.2);
        var gradient = rng.Uniform(0, 0.35);
        var dir = rng.Uniform(0, 2 * Math.PI);
        var gx = Math.Cos(dir) * gradient / size;
        var gy = Math.Sin(dir) * gradient / size;
        var vignette = rng.Uniform(0, 0.25);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var dx = (x - (size / 2.0)) / size;
                var dy = (y - (size / 2.0)) / size;
                var light = exposure * (1 + (gx * (x - (size / 2.0))) + (gy * (y - (size / 2.0)))) * (1 - (vignette * ((dx * dx) + (dy * dy)) * 2));
                var o = ((y * size) + x) * 3;
                for (var c = 0; c < 3; c++)
                {
                    rgb[o + c] = (float)(rgb[o + c] * light);
                }
            }
        }

        if (rng.Chance(0.5))
        {
            ImageOps.GaussianBlur(rgb, size, size, 3, rng.Uniform(0.3, 1.1));
        }

        var noise = rng.Uniform(0.003, 0.03);
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] += (float)(noise * rng.Normal());
        }
    }
}
