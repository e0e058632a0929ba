using System.Collections;
using EdgeAI.Audio;
using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// A directory of calibration samples as <see cref="Calibrator.Calibrate"/> consumes them: <c>.npy</c> tensors,
/// pictures (PNG/JPEG/BMP) or WAV recordings, one file per sample, read lazily in ordinal file-name order.
/// Pictures and recordings go through the SDK's own preprocessing as the manifest describes it, so calibration
/// sees exactly the tensors the device computes.
/// </summary>
/// <remarks>
/// A file that cannot be read (corrupt, truncated, unsupported) is skipped and listed in <see cref="Skipped"/>;
/// if no file at all could be read, enumeration ends with a <see cref="CalibrationDataException"/> listing them.
/// Several-input models use the .npy layout <c>directory/&lt;sample&gt;/&lt;input&gt;.npy</c> of
/// <see cref="NpyCalibrationSet"/>. Enumerate once at a time (skips are recorded per enumeration).
/// </remarks>
public sealed class CalibrationFolder : IEnumerable<IReadOnlyDictionary<string, NpyArray>>
{
    /// <summary>File extensions read as pictures.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    private readonly List<string> _files;
    private readonly IReadOnlyList<string> _inputNames;
    private readonly Func<string, NpyArray>? _read;
    private readonly List<SkippedCalibrationFile> _skipped = [];

    private CalibrationFolder(string directory, CalibrationDataFormat format, List<string> files, IReadOnlyList<string> inputNames, Func<string, NpyArray>? read)
    {
        Directory = directory;
        Format = format;
        _files = files;
        _inputNames = inputNames;
        _read = read;
    }

    /// <summary>The calibration directory.</summary>
    public string Directory { get; }

    /// <summary>What the directory holds (detected when opened with <see cref="CalibrationDataFormat.Auto"/>).</summary>
    public CalibrationDataFormat Format { get; }

    /// <summary>The number of samples found (files, or sample folders for several-input .npy sets), before any is read.</summary>
    public int SampleCount => _files.Count;

    /// <summary>Files skipped so far in the current or last enumeration, with the reason.</summary>
    public IReadOnlyList<SkippedCalibrationFile> Skipped => _skipped;

    /// <summary>Opens a calibration directory.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="inputNames">The model's graph input names (not initializers); pictures and recordings need exactly one.</param>
    /// <param name="format">What it holds, or <see cref="CalibrationDataFormat.Auto"/> to detect it.</param>
    /// <param name="preprocessing">The manifest's preprocessing (<c>kind</c> <c>image</c> or <c>audio</c>); needed for pictures and recordings.</param>
    /// <param name="manifestPath">Where <paramref name="preprocessing"/> came from, for messages.</param>
    /// <param name="audioFrames">For recordings: the fixed frame count of the model's input (recordings are cut or padded to it), or <see langword="null"/> to keep each recording's length.</param>
    /// <exception cref="CalibrationDataException">The directory does not exist, holds no supported file, or mixes kinds under <see cref="CalibrationDataFormat.Auto"/>.</exception>
    /// <exception cref="ModelFormatException">Pictures or recordings without a usable preprocessing section; the message names the field.</exception>
    /// <exception cref="ArgumentException">Pictures or recordings for a model with several inputs.</exception>
    public static CalibrationFolder Open(
        string directory,
        IReadOnlyList<string> inputNames,
        CalibrationDataFormat format = CalibrationDataFormat.Auto,
        PreprocessingSpec? preprocessing = null,
        string? manifestPath = null,
        int? audioFrames = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(inputNames);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new CalibrationDataException($"Calibration directory '{directory}' does not exist.", directory);
        }

        if (format == CalibrationDataFormat.Auto)
        {
            format = Detect(directory);
        }

        var files = System.IO.Directory.GetFiles(directory).Where(f => KindOf(f) == format).Order(StringComparer.Ordinal).ToList();
        if (format == CalibrationDataFormat.Npy && (inputNames.Count != 1 || files.Count == 0))
        {
            // Several inputs: one folder per sample, read strictly by NpyCalibrationSet.
            var folders = System.IO.Directory.GetDirectories(directory).Order(StringComparer.Ordinal).ToList();
            if (folders.Count == 0)
            {
                throw Empty(directory, format);
            }

            return new CalibrationFolder(directory, format, folders, inputNames, null);
        }

        if (files.Count == 0)
        {
            throw Empty(directory, format);
        }

        if (format != CalibrationDataFormat.Npy && inputNames.Count != 1)
        {
            throw new ArgumentException($"{format} calibration data feeds one graph input; the model has {inputNames.Count} ({string.Join(", ", inputNames)}). Use .npy samples, one folder per sample.", nameof(inputNames));
        }

        Func<string, NpyArray> read = format switch
        {
            CalibrationDataFormat.Image => new ImageCalibrationReader(preprocessing, manifestPath).Read,
            CalibrationDataFormat.Wav => new WavCalibrationReader(preprocessing, manifestPath, audioFrames).Read,
            _ => path => NpyFile.Read(path),
        };
        return new CalibrationFolder(directory, format, files, inputNames, read);
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
        if (_read is null)
        {
            foreach (var sample in NpyCalibrationSet.Read(Directory, _inputNames))
            {
                yield return sample;
            }

            yield break;
        }

        var read = 0;
        foreach (var file in _files)
        {
            NpyArray array;
            try
            {
                array = _read(file);
            }
            catch (Exception ex) when (ex is NpyFormatException or ImageFormatException or WavFormatException or IOException or UnauthorizedAccessException)
            {
                _skipped.Add(new SkippedCalibrationFile(file, ex.Message));
                continue;
            }

            read++;
            yield return new Dictionary<string, NpyArray>(StringComparer.Ordinal) { [_inputNames[0]] = array };
        }

        if (read == 0)
        {
            throw new CalibrationDataException(
                $"Calibration directory '{Directory}' has no usable {Describe(Format)}: all {_skipped.Count} were skipped ({string.Join("; ", _skipped.Select(s => s.Reason.TrimEnd('.')))}).",
                Directory);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

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
        _ => "supported file(s) (.npy, .png/.jpg/.jpeg/.bmp or .wav, or one folder of .npy files per sample)",
    };

    private static CalibrationDataException Empty(string directory, CalibrationDataFormat format) =>
        new($"Calibration directory '{directory}' holds no {Describe(format)}; expected at least one.", directory);
}
