using EdgeAI.DefectData;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;

namespace EdgeAI.DefectEval;

/// <summary>
/// Writes calibration inputs for static int8 quantization: TRAINING-split images (never validation or test, whose
/// surfaces must stay unseen), preprocessed exactly as the manifest says, one [1, 3, H, W] float32 .npy per image,
/// named in order (the quantizer reads them in ordinal file-name order).
/// </summary>
internal static class CalibrationExport
{
    public static void Write(string modelDirectory, DefectDataset dataset, string outputDirectory, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var manifestPath = Path.Combine(modelDirectory, ModelManifest.FileName);
        var pre = ModelManifestReader.Read(manifestPath).Preprocessing
            ?? throw new InvalidOperationException($"{manifestPath} has no preprocessing; the calibration inputs need its mean and std.");
        var mean = pre.Mean ?? throw new InvalidOperationException($"{manifestPath}: preprocessing has no mean.");
        var std = pre.Std ?? throw new InvalidOperationException($"{manifestPath}: preprocessing has no std.");
        const int size = DefectDataset.ImageSize;
        if (pre.Width != size || pre.Height != size || pre.Channels != 3)
        {
            throw new InvalidOperationException($"{manifestPath}: preprocessing is {pre.Width}x{pre.Height}x{pre.Channels}, the data set makes {size}x{size}x3.");
        }

        Directory.CreateDirectory(outputDirectory);
        var chw = new float[3 * size * size];
        for (var i = 0; i < count; i++)
        {
            dataset.Generate(SurfaceSplit.Train, i).WriteChw(chw, mean, std);
            NpyFile.Write(Path.Combine(outputDirectory, $"{i:00000}.npy"), NpyArray.FromSingles(chw, 1, 3, size, size));
        }
    }
}
