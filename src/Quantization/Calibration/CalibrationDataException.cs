namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// A calibration directory cannot be used: it does not exist, holds no file of a supported kind, mixes kinds,
/// or none of its files could be read. The message names the directory and what was expected.
/// </summary>
public sealed class CalibrationDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the directory and what was expected.</param>
    /// <param name="directory">The calibration directory.</param>
    public CalibrationDataException(string message, string directory)
        : base(message)
    {
        Directory = directory;
    }

    /// <summary>The calibration directory.</summary>
    public string Directory { get; }
}
