using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Inference;

/// <summary>
/// A loaded, verified model variant: the manifest, the ONNX Runtime session built with the variant's
/// settings, and the declared inputs and outputs.
/// </summary>
/// <remarks>
/// Loading reads the variant's file once, checks its size and SHA-256 against the manifest and builds the
/// session from those same bytes, so the file that was verified is the file that runs. It then checks
/// every manifest input and output against the graph.
/// <para>
/// Thread safety: an <see cref="EdgeModel"/> is immutable after loading and may be shared by several
/// agents; ONNX Runtime allows concurrent runs on one session. Each caller runs through its own
/// <see cref="ModelRunner"/> (see <see cref="CreateRunner"/>), which is not thread-safe.
/// Dispose the model after its runners.
/// </para>
/// </remarks>
public sealed class EdgeModel : IDisposable
{
    private readonly InferenceSession _session;
    private bool _disposed;

    private EdgeModel(string directory, ModelManifest manifest, ModelVariant variant, InferenceSession session)
    {
        Directory = directory;
        Manifest = manifest;
        Variant = variant;
        Thresholds = manifest.ThresholdsFor(variant);
        _session = session;
    }

    /// <summary>The model directory the manifest was read from.</summary>
    public string Directory { get; }

    /// <summary>The model's manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The variant that was loaded.</summary>
    public ModelVariant Variant { get; }

    /// <summary>
    /// Decision thresholds for the loaded variant: the manifest's top-level ones, overridden by the variant's own
    /// (<see cref="ModelVariant.Thresholds"/>). Decide with these, not with <see cref="ModelManifest.Thresholds"/>.
    /// </summary>
    public IReadOnlyDictionary<string, double> Thresholds { get; }

    /// <summary>Full path of the loaded .onnx file.</summary>
    public string ModelPath => Path.Combine(Directory, Variant.File);

    /// <summary>Inputs in the manifest's order.</summary>
    public IReadOnlyList<TensorSpec> Inputs => Manifest.Inputs;

    /// <summary>Outputs in the manifest's order.</summary>
    public IReadOnlyList<TensorSpec> Outputs => Manifest.Outputs;

    internal InferenceSession Session
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _session;
        }
    }

    /// <summary>Loads a variant of the model in <paramref name="directory"/>.</summary>
    /// <param name="directory">Directory holding <c>manifest.json</c> and the .onnx files.</param>
    /// <param name="options">Which variant, thread overrides; defaults when <see langword="null"/>.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">The manifest or the variant's .onnx file is missing.</exception>
    /// <exception cref="ModelFormatException">The manifest is invalid, the variant is unknown, or the .onnx file is corrupt or truncated.</exception>
    /// <exception cref="ModelIntegrityException">The file's size or SHA-256 differs from the manifest.</exception>
    /// <exception cref="ModelContractException">An input or output differs between manifest and graph.</exception>
    public static EdgeModel Load(string directory, EdgeModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new EdgeModelOptions();
        options.Validate();

        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Model directory '{directory}' does not exist.");
        }

        var manifestPath = Path.Combine(directory, ModelManifest.FileName);
        var manifest = ModelManifestReader.Read(manifestPath);
        var variantName = options.Variant ?? manifest.DefaultVariant ?? manifest.Variants[0].Name;
        var variant = manifest.FindVariant(variantName)
            ?? throw new ModelFormatException(
                $"Model '{manifest.Name}' has no variant '{variantName}' in '{manifestPath}'; it has: {string.Join(", ", manifest.Variants.Select(v => v.Name))}.",
                manifestPath);

        var modelPath = Path.Combine(directory, variant.File);
        var bytes = ReadVerified(modelPath, variant, options.MaxModelBytes);

        InferenceSession session;
        using (var sessionOptions = SessionOptionsFactory.Create(variant.Session, options.IntraOpThreads))
        {
            try
            {
                session = new InferenceSession(bytes, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ModelFormatException($"Model file '{modelPath}' (variant '{variant.Name}') is not a loadable ONNX model: {ex.Message}", modelPath, ex);
            }
        }

        try
        {
            CheckContract(manifest, session, modelPath);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        return new EdgeModel(directory, manifest, variant, session);
    }

    /// <summary>
    /// Creates a runner with its own preallocated input and output buffers. Open dimensions (-1) are 1
    /// unless <paramref name="shapes"/> gives a concrete shape for that tensor.
    /// </summary>
    /// <param name="shapes">Concrete shapes by tensor name, for tensors with open dimensions (e.g. a batch of 8).</param>
    /// <exception cref="InputShapeException">A given shape does not fit the declared one.</exception>
    public ModelRunner CreateRunner(IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ModelRunner(this, shapes);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _session.Dispose();
    }

    /// <summary>Lower-case hex SHA-256 of a file, as manifests record it.</summary>
    public static string ComputeSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static byte[] ReadVerified(string modelPath, ModelVariant variant, long maxBytes)
    {
        var info = new FileInfo(modelPath);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"Model file '{modelPath}' (variant '{variant.Name}') does not exist.", modelPath);
        }

        if (info.Length != variant.SizeBytes)
        {
            throw new ModelIntegrityException(
                $"Model file '{modelPath}' is {info.Length} bytes but the manifest records sizeBytes {variant.SizeBytes}; the file is truncated or was replaced.",
                modelPath, variant.SizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), info.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (info.Length > maxBytes)
        {
            throw new ModelFormatException($"Model file '{modelPath}' is {info.Length} bytes; at most {maxBytes} are accepted ({nameof(EdgeModelOptions)}.{nameof(EdgeModelOptions.MaxModelBytes)}).", modelPath);
        }

        var bytes = File.ReadAllBytes(modelPath);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, variant.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelIntegrityException(
                $"Model file '{modelPath}' has SHA-256 {actual} but the manifest records {variant.Sha256.ToLowerInvariant()}; refusing a file that differs from the one described.",
                modelPath, variant.Sha256.ToLowerInvariant(), actual);
        }

        return bytes;
    }

    private static void CheckContract(ModelManifest manifest, InferenceSession session, string modelPath)
    {
        CheckSide("input", manifest.Inputs, session.InputMetadata, modelPath, requireAll: true);
        CheckSide("output", manifest.Outputs, session.OutputMetadata, modelPath, requireAll: false);
    }

    private static void CheckSide(string side, TensorSpec[] declared, IReadOnlyDictionary<string, NodeMetadata> actual, string modelPath, bool requireAll)
    {
        foreach (var spec in declared)
        {
            if (!actual.TryGetValue(spec.Name, out var meta))
            {
                throw new ModelContractException(
                    $"Manifest {side} '{spec.Name}' is not an {side} of '{modelPath}'; the graph's {side}s are: {string.Join(", ", actual.Keys)}.",
                    modelPath, spec.Name);
            }

            if (!meta.IsTensor)
            {
                throw new ModelContractException($"Graph {side} '{spec.Name}' of '{modelPath}' is not a tensor; only tensors are supported.", modelPath, spec.Name);
            }

            TensorDataTypes.TryParse(spec.Dtype, out var dtype);
            if (meta.ElementDataType != dtype)
            {
                throw new ModelContractException(
                    $"Manifest {side} '{spec.Name}' has dtype {spec.Dtype} but '{modelPath}' declares {TensorDataTypes.NameOf(meta.ElementDataType)}.",
                    modelPath, spec.Name);
            }

            var dims = meta.Dimensions;
            var same = dims.Length == spec.Shape.Length;
            for (var i = 0; same && i < dims.Length; i++)
            {
                // ORT reports symbolic or unknown dimensions as -1; the manifest marks them -1 too.
                same = dims[i] == spec.Shape[i] || (dims[i] < 0 && spec.Shape[i] < 0);
            }

            if (!same)
            {
                throw new ModelContractException(
                    $"Manifest {side} '{spec.Name}' has shape {ShapeText.Format(spec.Shape)} but '{modelPath}' declares {ShapeText.Format(dims)} (-1 = open).",
                    modelPath, spec.Name);
            }
        }

        if (requireAll)
        {
            foreach (var name in actual.Keys)
            {
                if (!declared.Any(s => s.Name == name))
                {
                    throw new ModelContractException(
                        $"Graph {side} '{name}' of '{modelPath}' is missing from the manifest's {side}s; every {side} the model needs must be declared.",
                        modelPath, name);
                }
            }
        }
    }

    internal static TensorElementType ElementTypeOf(TensorSpec spec)
    {
        TensorDataTypes.TryParse(spec.Dtype, out var t);
        return t;
    }
}
