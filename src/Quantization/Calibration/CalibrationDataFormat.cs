namespace EdgeAI.Quantization.Calibration;

/// <summary>What a calibration directory holds (see <see cref="CalibrationFolder"/>).</summary>
public enum CalibrationDataFormat
{
    /// <summary>Detect from the files present: only one kind may be there.</summary>
    Auto,

    /// <summary>NumPy <c>.npy</c> tensors, fed to the model as they are.</summary>
    Npy,

    /// <summary>PNG, JPEG or BMP pictures, decoded and preprocessed as the device does (manifest <c>kind: image</c>).</summary>
    Image,

    /// <summary>WAV recordings, turned into log-mel features as the device does (manifest <c>kind: audio</c>).</summary>
    Wav,
}
