namespace EdgeAI.Vision;

/// <summary>How the source image is mapped onto the model's input size.</summary>
public enum ResizeMode
{
    /// <summary>The whole image is resized to the target size; the aspect ratio changes if they differ.</summary>
    Stretch,

    /// <summary>
    /// The largest centered region with the target's aspect ratio (times <see cref="ImagePreprocessorOptions.CropFraction"/>)
    /// is resized to the target size; the rest of the image is ignored.
    /// </summary>
    CenterCrop,
}
