namespace EdgeAI.Inference;

internal static class ShapeText
{
    public static string Format(IEnumerable<long> shape) => "[" + string.Join(",", shape) + "]";

    public static string Format(IEnumerable<int> shape) => "[" + string.Join(",", shape) + "]";
}
