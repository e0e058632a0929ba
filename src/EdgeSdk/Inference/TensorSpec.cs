namespace EdgeAI.Inference;

/// <summary>
/// One input or output as the manifest declares it.
/// </summary>
public sealed class TensorSpec
{
    /// <summary>Tensor name, exactly as in the ONNX graph.</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// Element type: <c>float32</c>, <c>float16</c>, <c>float64</c>, <c>int8</c>, <c>uint8</c>, <c>int16</c>,
    /// <c>uint16</c>, <c>int32</c>, <c>int64</c> or <c>bool</c>.
    /// </summary>
    public string Dtype { get; set; } = "";

    /// <summary>Shape; <c>-1</c> marks a dimension the graph leaves open (usually the batch).</summary>
    public long[] Shape { get; set; } = [];

    /// <summary>Optional human description (units, layout such as NCHW).</summary>
    public string? Description { get; set; }

    /// <summary>
    /// How raw data becomes this input, for models whose inputs are preprocessed differently (e.g. a picture and a
    /// recording); absent: the manifest's own <see cref="ModelManifest.Preprocessing"/>. Only meaningful on inputs.
    /// </summary>
    public PreprocessingSpec? Preprocessing { get; set; }

    /// <summary>Number of elements when every open dimension is 1.</summary>
    public long ElementCount()
    {
        long count = 1;
        foreach (var d in Shape)
        {
            count *= d < 0 ? 1 : d;
        }

        return count;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Dtype}{ShapeText.Format(Shape)}";
}
