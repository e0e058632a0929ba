using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Folds shape-only operators on float initializers (Identity, Unsqueeze, Squeeze, Reshape, Slice, Concat) into new
/// initializers: exporters such as PyTorch's reorder LSTM gates (i, f, g, o → i, o, f, c) with Slice and Concat at
/// run time, which hides the weight from the quantizers.
/// </summary>
internal static class ConstantFolder
{
    public static int Fold(OnnxGraph graph)
    {
        var count = 0;
        var outputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.GetTopologicalOrder())
        {
            if (node.Domain.Length > 0 || node.Outputs.Count != 1 || outputs.Contains(node.Outputs[0])
                || node.OpType is not ("Identity" or "Unsqueeze" or "Squeeze" or "Reshape" or "Slice" or "Concat"))
            {
                continue;
            }

            var inputs = node.Inputs.Select(i => i.Length == 0 ? null : graph.FindInitializer(i)).ToList();
            var dataCount = node.OpType == "Concat" ? inputs.Count : 1;
            if (inputs.Count == 0 || inputs.Take(dataCount).Any(t => t is null || t.ElementType != TensorElementType.Float)
                || inputs.Skip(dataCount).Select((t, i) => (t, i)).Any(p => p.t is null && node.Inputs[dataCount + p.i].Length > 0))
            {
                continue;
            }

            long[] Ints(int i) => i < inputs.Count && inputs[i] is { } t ? t.ToInt64Array() : [];
            var data = inputs[0]!.ToSingleArray();
            long[] dims = [.. inputs[0]!.Dims];
            (float[] Data, long[] Dims)? result = node.OpType switch
            {
                "Identity" => (data, dims),
                "Unsqueeze" => (data, Unsqueeze(dims, node.FindAttribute("axes")?.GetInts() ?? Ints(1))),
                "Squeeze" => (data, Squeeze(dims, node.FindAttribute("axes")?.GetInts() ?? Ints(1))),
                "Reshape" => Reshape(data, dims, Ints(1)),
                "Slice" => Slice(data, dims, Ints(1), Ints(2), Ints(3), Ints(4)),
                _ => Concat([.. inputs.Select(t => (t!.ToSingleArray(), t.Dims.ToArray()))], node.FindAttribute("axis")!.GetInt()),
            };
            if (result is not { } r)
            {
                continue;
            }

            var name = node.Outputs[0];
            graph.RemoveNode(node);
            graph.AddInitializer(OnnxTensor.FromSingles(name, r.Data, r.Dims));
            count++;
        }

        return count;
    }

    private static long[] Unsqueeze(long[] dims, long[] axes)
    {
        var rank = dims.Length + axes.Length;
        var set = axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
        var result = new long[rank];
        for (int i = 0, j = 0; i < rank; i++)
        {
            result[i] = set.Contains(i) ? 1 : dims[j++];
        }

        return result;
    }

    private static long[] Squeeze(long[] dims, long[] axes)
    {
        var set = axes.Select(a => a < 0 ? a + dims.Length : a).ToHashSet();
        return [.. dims.Where((d, i) => axes.Length == 0 ? d != 1 : !set.Contains(i))];
    }

    private static (float[], long[])? Reshape(float[] data, long[] dims, long[] shape)
    {
        var result = shape.Select((d, i) => d == 0 ? dims[i] : d).ToArray();
        var known = result.Where(d => d != -1).Aggregate(1L, (a, b) => a * b);
        var unknown = Array.IndexOf(result, -1L);
        if (unknown >= 0)
        {
            result[unknown] = known == 0 ? 0 : data.Length / known;
        }

        return result.Aggregate(1L, (a, b) => a * b) == data.Length ? (data, result) : null;
    }

    private static (float[], long[])? Slice(float[] data, long[] dims, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        var rank = dims.Length;
        var begin = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var size = (long[])dims.Clone();
        for (var k = 0; k < starts.Length; k++)
        {
            var axis = (int)(axes.Length > k ? (axes[k] < 0 ? axes[k] + rank : axes[k]) : k);
            var s = steps.Length > k ? steps[k] : 1;
            if (s <= 0)
            {
                return null; // negative steps are rare in weights; leave them to the runtime
            }

            var d = dims[axis];
            var start = Math.Clamp(starts[k] < 0 ? starts[k] + d : starts[k], 0, d);
            var end = Math.Clamp(ends[k] < 0 ? ends[k] + d : ends[k], 0, d);
            begin[axis] = start;
            step[axis] = s;
            size[axis] = Math.Max(0, (end - start + s - 1) / s);
        }

        var strides = new long[rank];
        for (long i = rank - 1, acc = 1; i >= 0; i--)
        {
            strides[i] = acc;
            acc *= dims[i];
        }

        var result = new float[size.Aggregate(1L, (a, b) => a * b)];
        var index = new long[rank];
        for (var n = 0; n < result.Length; n++)
        {
            long source = 0;
            for (var a = 0; a < rank; a++)
            {
                source += (begin[a] + (index[a] * step[a])) * strides[a];
            }

            result[n] = data[source];
            for (var a = rank - 1; a >= 0 && ++index[a] == size[a]; a--)
            {
                index[a] = 0;
            }
        }

        return (result, size);
    }

    private static (float[], long[])? Concat((float[] Data, long[] Dims)[] parts, long axis)
    {
        var rank = parts[0].Dims.Length;
        var ax = (int)(axis < 0 ? axis + rank : axis);
        var outer = parts[0].Dims.Take(ax).Aggregate(1L, (a, b) => a * b);
        var dims = (long[])parts[0].Dims.Clone();
        dims[ax] = parts.Sum(p => p.Dims[ax]);
        var result = new List<float>(parts.Sum(p => p.Data.Length));
        for (long o = 0; o < outer; o++)
        {
            foreach (var (data, d) in parts)
            {
                var block = data.Length / outer;
                result.AddRange(data.AsSpan((int)(o * block), (int)block).ToArray());
            }
        }

        return ([.. result], dims);
    }
}
