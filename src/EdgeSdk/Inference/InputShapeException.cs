namespace EdgeAI.Inference;

/// <summary>
/// Data handed to a <see cref="ModelRunner"/> does not fit the tensor it is meant for: wrong number
/// of elements or wrong element type. Nothing is copied and the runner stays usable.
/// </summary>
public sealed class InputShapeException : EdgeModelException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The tensor, what it expects and what was given.</param>
    /// <param name="tensorName">The input or output concerned.</param>
    /// <param name="expectedLength">Elements the tensor holds.</param>
    /// <param name="actualLength">Elements that were given.</param>
    public InputShapeException(string message, string tensorName, long expectedLength, long actualLength)
        : base(message, path: null)
    {
        TensorName = tensorName;
        ExpectedLength = expectedLength;
        ActualLength = actualLength;
    }

    /// <summary>The input or output concerned.</summary>
    public string TensorName { get; }

    /// <summary>Number of elements the tensor holds.</summary>
    public long ExpectedLength { get; }

    /// <summary>Number of elements that were given.</summary>
    public long ActualLength { get; }
}
