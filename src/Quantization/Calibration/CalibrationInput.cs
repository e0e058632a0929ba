using EdgeAI.Inference;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Calibration;

/// <summary>One graph input as calibration data must fill it: its name, the model's declared type and shape, and the manifest preprocessing that turns pictures and recordings into it.</summary>
/// <param name="Name">The graph input's name.</param>
/// <param name="Preprocessing">The input's preprocessing (its own manifest entry, else the manifest's), or <see langword="null"/>.</param>
/// <param name="ElementType">The declared element type, or <see langword="null"/> when unknown.</param>
/// <param name="Shape">The declared shape (<see langword="null"/> for a symbolic dimension), or <see langword="null"/> when unknown.</param>
internal sealed record CalibrationInput(string Name, PreprocessingSpec? Preprocessing, TensorElementType? ElementType = null, IReadOnlyList<long?>? Shape = null)
{
    /// <summary>Why <paramref name="array"/> read from <paramref name="path"/> cannot feed this input, or <see langword="null"/> when it can.</summary>
    public string? Mismatch(NpyArray array, string path)
    {
        var typeWrong = ElementType is { } type && type != array.ElementType;
        var shapeWrong = Shape is { } shape && (shape.Count != array.Shape.Count || shape.Where((d, i) => d is { } fixedDim && fixedDim != array.Shape[i]).Any());
        return typeWrong || shapeWrong
            ? $"'{path}' gives a {array.ElementType} tensor [{string.Join(", ", array.Shape)}]; graph input '{Name}' takes {(ElementType?.ToString() ?? "any type")} [{(Shape is null ? "any shape" : string.Join(", ", Shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?")))}]."
            : null;
    }
}
