using System.Collections;
using EdgeAI.Audio;
using EdgeAI.Inference;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Vision;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// A directory of calibration samples as <see cref="Calibrator.Calibrate"/> consumes them: <c>.npy</c> tensors,
/// pictures (PNG/JPEG/BMP) or WAV recordings, read lazily in ordinal file-name order. Pictures and recordings go
/// through the SDK's own preprocessing as the manifest describes it, so calibration sees exactly the tensors the
/// device computes.
/// </summary>
/// <remarks>
/// <para>Layouts (see <see cref="CalibrationLayout"/>): one file per sample for a one-input model; one folder per
/// graph input, named after it, with files paired across inputs by name (<c>image/0001.png</c> with
/// <c>audio/0001.wav</c>), each input read as its own manifest entry says; or one folder per sample holding
/// <c>&lt;input&gt;.npy</c> for every input.</para>
/// <para>A file that cannot be read (corrupt, truncated, unsupported, or giving a tensor the input does not take) is
/// skipped, with its sample, and listed in <see cref="Skipped"/>; if no sample at all could be read, enumeration ends
/// with a <see cref="CalibrationDataException"/> listing them. Enumerate once at a time (skips are recorded per
/// enumeration).</para>
/// </remarks>
public sealed class CalibrationFolder : IEnumerable<IReadOnlyDictionary<string, NpyArray>>
{
    /// <summary>File extensions read as pictures.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    private readonly IReadOnlyList<CalibrationInput> _inputs;
    private readonly IReadOnlyList<Func<string, NpyArray>> _readers;
    private readonly List<string[]> _samples;
    private readonly List<SkippedCalibrationFile> _skipped = [];

    private CalibrationFolder(string directory, CalibrationLayout layout, IReadOnlyDictionary<string, CalibrationDataFormat> formats, IReadOnlyList<CalibrationInput> inputs, IReadOnlyList<Func<string, NpyArray>> readers, List<string[]> samples)
    {
        Directory = directory;
        Layout = layout;
        InputFormats = formats;
        Format = formats.Values.Distinct().Count() == 1 ? formats.Values.First() : CalibrationDataFormat.Auto;
        _inputs = inputs;
        _readers = readers;
        _samples = samples;
    }

    /// <summary>The calibration directory.</summary>
    public string Directory { get; }

    /// <summary>How the samples are laid out.</summary>
    public CalibrationLayout Layout { get; }

    /// <summary>What the directory holds (detected when opened with <see cref="CalibrationDataFormat.Auto"/>); <see cref="CalibrationDataFormat.Auto"/> when the inputs' folders hold different kinds (see <see cref="InputFormats"/>).</summary>
    public CalibrationDataFormat Format { get; }

    /// <summary>What each graph input is read from.</summary>
    public IReadOnlyDictionary<string, CalibrationDataFormat> InputFormats { get; }

    /// <summary>The number of samples found (files, file groups or sample folders), before any is read.</summary>
    public int SampleCount => _samples.Count;

    /// <summary>Files skipped so far in the current or last enumeration, with the reason.</summary>
    public IReadOnlyList<SkippedCalibrationFile> Skipped => _skipped;

    /// <summary>Opens a calibration directory for <paramref name="model"/>: its graph inputs, their declared types and shapes, and each input's manifest preprocessing.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="model">The model to calibrate; its graph inputs (not initializers) are what samples fill. Fixed dimensions decide the frame count of log-mel inputs and the length of waveform inputs, and every tensor read is checked against the declared type and shape.</param>
    /// <param name="manifest">The model's manifest: <see cref="ModelManifest.PreprocessingFor"/> each input turns pictures and recordings into tensors.</param>
    /// <param name="manifestPath">Where <paramref name="manifest"/> came from, for messages.</param>
    /// <param name="format">What the files are, or <see cref="CalibrationDataFormat.Auto"/> to detect it (per input folder).</param>
    /// <exception cref="CalibrationDataException">The directory does not exist, holds no supported file, mixes kinds, or its input folders are missing, extra or hold unpaired files.</exception>
    /// <exception cref="ModelFormatException">Pictures or recordings for an input without a usable preprocessing section; the message names the field.</exception>
    /// <exception cref="ArgumentException">One folder of files for a model with several inputs.</exception>
    public static CalibrationFolder Open(string directory, OnnxModel model, ModelManifest? manifest = null, string? manifestPath = null, CalibrationDataFormat format = CalibrationDataFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Open(directory, InputsOf(model, manifest), format, manifestPath);
    }

    /// <summary>Opens a calibration directory by input names, with one preprocessing section for all inputs.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="inputNames">The model's graph input names (not initializers).</param>
    /// <param name="format">What it holds, or <see cref="CalibrationDataFormat.Auto"/> to detect it.</param>
    /// <param name="preprocessing">The manifest's preprocessing (<c>kind</c> <c>image</c> or <c>audio</c>); needed for pictures and recordings.</param>
    /// <param name="manifestPath">Where <paramref name="preprocessing"/> came from, for messages.</param>
    /// <param name="audioFrames">For log-mel recordings: the fixed frame count of the model's input (recordings are cut or padded to it), or <see langword="null"/> to keep each recording's length.</param>
    /// <exception cref="CalibrationDataException">The directory does not exist, holds no supported file, mixes kinds, or its input folders are missing, extra or hold unpaired files.</exception>
    /// <exception cref="ModelFormatException">Pictures or recordings without a usable preprocessing section; the message names the field.</exception>
    /// <exception cref="ArgumentException">One folder of files for a model with several inputs.</exception>
    public static CalibrationFolder Open(
        string directory,
        IReadOnlyList<string> inputNames,
        CalibrationDataFormat format = CalibrationDataFormat.Auto,
        PreprocessingSpec? preprocessing = null,
        string? manifestPath = null,
        int? audioFrames = null)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        IReadOnlyList<long?>? shape = audioFrames is { } frames ? [1, frames, null] : null;
        return Open(directory, [.. inputNames.Select(n => new CalibrationInput(n, preprocessing, Shape: shape))], format, manifestPath);
    }

    /// <summary>Reads one sample for <paramref name="model"/>: a single file (.npy, picture or .wav; one-input models) or the first usable sample of a directory in any layout.</summary>
    /// <param name="path">A file or a calibration directory.</param>
    /// <param name="model">The model the sample is for.</param>
    /// <param name="manifest">The model's manifest, for pictures and recordings.</param>
    /// <param name="manifestPath">Where <paramref name="manifest"/> came from, for messages.</param>
    /// <returns>Graph input name to tensor.</returns>
    /// <exception cref="CalibrationDataException">The path does not exist, is not a supported file, or the model has several inputs and the path is a file.</exception>
    /// <exception cref="NpyFormatException">The file is not a usable .npy array (and likewise <see cref="ImageFormatException"/>, <see cref="WavFormatException"/>).</exception>
    public static IReadOnlyDictionary<string, NpyArray> ReadSample(string path, OnnxModel model, ModelManifest? manifest = null, string? manifestPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        if (System.IO.Directory.Exists(path))
        {
            return Open(path, model, manifest, manifestPath).First();
        }

        if (!File.Exists(path))
        {
            throw new CalibrationDataException($"Sample '{path}' does not exist; expected a .npy, picture or .wav file, or a calibration directory.", path);
        }

        var inputs = InputsOf(model, manifest);
        var format = KindOf(path);
        if (format == CalibrationDataFormat.Auto)
        {
            throw new CalibrationDataException($"Sample '{path}' is not a {Describe(CalibrationDataFormat.Auto)}.", path);
        }

        if (inputs.Count != 1)
        {
            throw new CalibrationDataException($"Sample '{path}' is one file, but the model has {inputs.Count} graph inputs ({string.Join(", ", inputs.Select(i => i.Name))}); pass a directory with one folder per input.", path);
        }

        var array = CreateReader(format, inputs[0], manifestPath, path)(path);
        return inputs[0].Mismatch(array, path) is { } problem
            ? throw new CalibrationDataException(problem, path)
            : new Dictionary<string, NpyArray>(StringComparer.Ordinal) { [inputs[0].Name] = array };
    }

    /// <summary>Tells what a directory holds from its file extensions (.npy files or sample folders, pictures, .wav).</summary>
    /// <param name="directory">An existing directory.</param>
    /// <exception cref="CalibrationDataException">It holds no supported file, or more than one kind.</exception>
    public static CalibrationDataFormat Detect(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var kinds = System.IO.Directory.GetFiles(directory)
            .Select(KindOf)
            .Where(k => k != CalibrationDataFormat.Auto)
            .GroupBy(k => k)
            .ToDictionary(g => g.Key, g => g.Count());
        if (kinds.Count == 0 && System.IO.Directory.GetDirectories(directory).Length > 0)
        {
            return CalibrationDataFormat.Npy;
        }

        return kinds.Count switch
        {
            1 => kinds.Keys.Single(),
            0 => throw Empty(directory, CalibrationDataFormat.Auto),
            _ => throw new CalibrationDataException(
                $"Calibration directory '{directory}' mixes {string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Value} {Describe(k.Key)}"))}; expected one kind (or name it with --calibration-format).",
                directory),
        };
    }

    /// <inheritdoc/>
    public IEnumerator<IReadOnlyDictionary<string, NpyArray>> GetEnumerator()
    {
        _skipped.Clear();
        var read = 0;
        foreach (var paths in _samples)
        {
            var sample = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
            for (var i = 0; i < _inputs.Count && sample.Count == i; i++)
            {
                try
                {
                    var array = _readers[i](paths[i]);
                    if (_inputs[i].Mismatch(array, paths[i]) is { } problem)
                    {
                        _skipped.Add(new SkippedCalibrationFile(paths[i], problem));
                        continue;
                    }

                    sample[_inputs[i].Name] = array;
                }
                catch (Exception ex) when (ex is NpyFormatException or ImageFormatException or WavFormatException or IOException or UnauthorizedAccessException)
                {
                    _skipped.Add(new SkippedCalibrationFile(paths[i], ex.Message));
                }
            }

            if (sample.Count == _inputs.Count)
            {
                read++;
                yield return sample;
            }
        }

        if (read == 0)
        {
            var what = Layout == CalibrationLayout.Files ? Describe(Format) : "sample";
            throw new CalibrationDataException(
                $"Calibration directory '{Directory}' has no usable {what}: all {_skipped.Count} were skipped ({string.Join("; ", _skipped.Select(s => s.Reason.TrimEnd('.')))}).",
                Directory);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static CalibrationFolder Open(string directory, IReadOnlyList<CalibrationInput> inputs, CalibrationDataFormat format, string? manifestPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (inputs.Count == 0)
        {
            throw new ArgumentException("The model has no graph inputs to calibrate.", nameof(inputs));
        }

        if (!System.IO.Directory.Exists(directory))
        {
            throw new CalibrationDataException($"Calibration directory '{directory}' does not exist.", directory);
        }

        var folders = System.IO.Directory.GetDirectories(directory).Order(StringComparer.Ordinal).ToList();
        var inputFolders = folders.Where(f => inputs.Any(i => i.Name == Path.GetFileName(f))).ToList();
        var hasFiles = System.IO.Directory.GetFiles(directory).Any(f => KindOf(f) != CalibrationDataFormat.Auto);
        if (inputFolders.Count > 0 && (inputs.Count > 1 || !hasFiles))
        {
            return OpenInputFolders(directory, inputs, folders, format, manifestPath);
        }

        if (format == CalibrationDataFormat.Auto)
        {
            format = Detect(directory);
        }

        var files = System.IO.Directory.GetFiles(directory).Where(f => KindOf(f) == format).Order(StringComparer.Ordinal).ToList();
        if (format == CalibrationDataFormat.Npy && (inputs.Count != 1 || files.Count == 0))
        {
            return OpenSampleFolders(directory, inputs, folders);
        }

        if (files.Count == 0)
        {
            throw Empty(directory, format);
        }

        if (inputs.Count != 1)
        {
            throw new ArgumentException(
                $"{format} calibration data in one folder feeds one graph input; the model has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}). Use one folder per input named after it ({string.Join(", ", inputs.Select(i => i.Name + "/"))}), files paired by name.",
                nameof(inputs));
        }

        var reader = CreateReader(format, inputs[0], manifestPath, directory);
        return new CalibrationFolder(directory, CalibrationLayout.Files, Formats(inputs, format), inputs, [reader], [.. files.Select(f => new[] { f })]);
    }

    /// <summary><c>directory/&lt;input&gt;/&lt;sample&gt;.&lt;ext&gt;</c>: one folder per graph input, files paired by name without extension.</summary>
    private static CalibrationFolder OpenInputFolders(string directory, IReadOnlyList<CalibrationInput> inputs, List<string> folders, CalibrationDataFormat format, string? manifestPath)
    {
        var expected = $"expected one folder per graph input ({string.Join(", ", inputs.Select(i => i.Name + "/"))}), files paired by name";
        var extra = folders.Select(Path.GetFileName).Where(name => !inputs.Any(i => i.Name == name)).ToList();
        if (extra.Count > 0)
        {
            throw new CalibrationDataException($"Calibration directory '{directory}' has folder(s) {string.Join(", ", extra.Select(e => $"'{e}'"))} that name no graph input; {expected}.", directory);
        }

        var missing = inputs.Where(i => !folders.Any(f => Path.GetFileName(f) == i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0)
        {
            throw new CalibrationDataException($"Calibration directory '{directory}' has no folder for graph input(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}; {expected}.", directory);
        }

        var formats = new Dictionary<string, CalibrationDataFormat>(StringComparer.Ordinal);
        var byStem = new List<Dictionary<string, string>>();
        var readers = new List<Func<string, NpyArray>>();
        foreach (var input in inputs)
        {
            var folder = Path.Combine(directory, input.Name);
            var kind = format == CalibrationDataFormat.Auto ? Detect(folder) : format;
            var files = System.IO.Directory.GetFiles(folder).Where(f => KindOf(f) == kind).ToList();
            if (files.Count == 0)
            {
                throw Empty(folder, kind);
            }

            var stems = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in files.Order(StringComparer.Ordinal))
            {
                if (!stems.TryAdd(Path.GetFileNameWithoutExtension(file), file))
                {
                    throw new CalibrationDataException(
                        $"Calibration folder '{folder}' holds '{Path.GetFileName(stems[Path.GetFileNameWithoutExtension(file)])}' and '{Path.GetFileName(file)}' for one sample name; expected one file per sample name.",
                        directory);
                }
            }

            formats[input.Name] = kind;
            byStem.Add(stems);
            readers.Add(CreateReader(kind, input, manifestPath, directory));
        }

        var samples = new List<string[]>();
        foreach (var stem in byStem.SelectMany(s => s.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var paths = new string[inputs.Count];
            for (var i = 0; i < inputs.Count; i++)
            {
                if (!byStem[i].TryGetValue(stem, out var path))
                {
                    var present = byStem.Select(s => s.GetValueOrDefault(stem)).First(p => p is not null);
                    throw new CalibrationDataException(
                        $"Calibration sample '{stem}' has '{present}' but no file in '{Path.Combine(directory, inputs[i].Name)}' for graph input '{inputs[i].Name}'; {expected} ({stem}.*).",
                        directory);
                }

                paths[i] = path;
            }

            samples.Add(paths);
        }

        return new CalibrationFolder(directory, CalibrationLayout.InputFolders, formats, inputs, readers, samples);
    }

    /// <summary><c>directory/&lt;sample&gt;/&lt;input&gt;.npy</c>: one folder per sample with a .npy file for every graph input.</summary>
    private static CalibrationFolder OpenSampleFolders(string directory, IReadOnlyList<CalibrationInput> inputs, List<string> folders)
    {
        if (folders.Count == 0)
        {
            throw Empty(directory, CalibrationDataFormat.Npy);
        }

        foreach (var input in inputs)
        {
            if (string.IsNullOrEmpty(input.Name) || input.Name.IndexOfAny(['/', '\\', '\0']) >= 0 || input.Name is "." or "..")
            {
                throw new CalibrationDataException($"Graph input '{input.Name}' cannot name a .npy file; expected a name without path separators.", directory);
            }
        }

        var samples = new List<string[]>();
        foreach (var folder in folders)
        {
            var paths = inputs.Select(i => Path.Combine(folder, i.Name + ".npy")).ToArray();
            if (paths.FirstOrDefault(p => !File.Exists(p)) is { } absent)
            {
                throw new CalibrationDataException(
                    $"Calibration sample '{folder}' has no '{Path.GetFileName(absent)}'; expected {string.Join(", ", inputs.Select(i => i.Name + ".npy"))} in every sample folder (or one folder per graph input).",
                    directory);
            }

            samples.Add(paths);
        }

        return new CalibrationFolder(directory, CalibrationLayout.SampleFolders, Formats(inputs, CalibrationDataFormat.Npy), inputs, [.. inputs.Select(_ => (Func<string, NpyArray>)ReadNpy)], samples);
    }

    private static List<CalibrationInput> InputsOf(OnnxModel model, ModelManifest? manifest)
    {
        var initializers = model.Graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return [.. model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).Select(i => new CalibrationInput(
            i.Name,
            manifest?.PreprocessingFor(i.Name),
            i.ElementType,
            i.Shape is { } shape ? [.. shape.Select(d => d.Value is > 0 ? d.Value : null)] : null))];
    }

    private static Func<string, NpyArray> CreateReader(CalibrationDataFormat format, CalibrationInput input, string? manifestPath, string directory) => format switch
    {
        CalibrationDataFormat.Image => new ImageCalibrationReader(input.Preprocessing, manifestPath).Read,
        CalibrationDataFormat.Wav when AudioFeatures.IsWaveform(input.Preprocessing) => new WaveformCalibrationReader(input, manifestPath, directory).Read,
        CalibrationDataFormat.Wav => new WavCalibrationReader(input.Preprocessing, manifestPath, WavCalibrationReader.FramesOf(input.Shape)).Read,
        _ => ReadNpy,
    };

    private static NpyArray ReadNpy(string path) => NpyFile.Read(path);

    private static Dictionary<string, CalibrationDataFormat> Formats(IReadOnlyList<CalibrationInput> inputs, CalibrationDataFormat format) =>
        inputs.ToDictionary(i => i.Name, _ => format, StringComparer.Ordinal);

    private static CalibrationDataFormat KindOf(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".npy" => CalibrationDataFormat.Npy,
            ".wav" => CalibrationDataFormat.Wav,
            _ when ImageExtensions.Contains(extension) => CalibrationDataFormat.Image,
            _ => CalibrationDataFormat.Auto,
        };
    }

    private static string Describe(CalibrationDataFormat format) => format switch
    {
        CalibrationDataFormat.Npy => ".npy file(s)",
        CalibrationDataFormat.Image => "picture(s) (.png/.jpg/.jpeg/.bmp)",
        CalibrationDataFormat.Wav => ".wav file(s)",
        _ => "supported file(s) (.npy, .png/.jpg/.jpeg/.bmp or .wav, or one folder per graph input or per sample)",
    };

    private static CalibrationDataException Empty(string directory, CalibrationDataFormat format) =>
        new($"Calibration directory '{directory}' holds no {Describe(format)}; expected at least one.", directory);
}
