namespace EdgeAI.Quantization.Onnx;

/// <summary>How <see cref="OnnxModel.Save(string, OnnxSaveOptions?)"/> stores initializer data.</summary>
public sealed class OnnxSaveOptions
{
    /// <summary>
    /// File name, relative to the model's directory, that large initializers are written to (ONNX external data).
    /// <see langword="null"/> (the default) keeps all data inside the model file, reading in any external data the
    /// model had.
    /// </summary>
    public string? ExternalDataFile { get; set; }

    /// <summary>Initializers of at least this many bytes go to <see cref="ExternalDataFile"/>; smaller ones stay inline. Default 1024.</summary>
    public long ExternalDataThreshold { get; set; } = 1024;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ExternalDataFile is not null
            && (string.IsNullOrWhiteSpace(ExternalDataFile) || Path.IsPathRooted(ExternalDataFile) || ExternalDataFile.Split('/', '\\').Any(s => s is ".." or ".")))
        {
            throw new ArgumentException(
                $"{nameof(OnnxSaveOptions)}.{nameof(ExternalDataFile)} is '{ExternalDataFile}'; expected a file name relative to the model's directory, without '..'.",
                nameof(ExternalDataFile));
        }

        if (ExternalDataThreshold < 0)
        {
            throw new ArgumentException($"{nameof(OnnxSaveOptions)}.{nameof(ExternalDataThreshold)} is {ExternalDataThreshold}; expected a byte count >= 0.", nameof(ExternalDataThreshold));
        }
    }
}
