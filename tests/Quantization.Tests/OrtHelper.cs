using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Quantization.Tests;

/// <summary>Runs a model in a real ONNX Runtime session and returns every requested output as floats.</summary>
internal static class OrtHelper
{
    public static Dictionary<string, float[]> Run(byte[] model, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        return Run(session, inputs);
    }

    public static Dictionary<string, float[]> RunFile(string path, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using var session = new InferenceSession(path);
        return Run(session, inputs);
    }

    public static Dictionary<string, long[]> Shapes(byte[] model, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using var session = new InferenceSession(model);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToList();
        try
        {
            var names = session.OutputNames.ToList();
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, names);
            return names.Select((n, k) => (n, outputs[k].GetTensorTypeAndShape().Shape)).ToDictionary(p => p.n, p => p.Shape);
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    private static Dictionary<string, float[]> Run(InferenceSession session, (string Name, float[] Data, long[] Shape)[] inputs)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToList();
        try
        {
            var names = session.OutputNames.ToList();
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, names);
            var result = new Dictionary<string, float[]>();
            for (var k = 0; k < names.Count; k++)
            {
                result[names[k]] = outputs[k].GetTensorDataAsSpan<float>().ToArray();
            }

            return result;
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>Cosine similarity of two equally long vectors, accumulated in double.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
