namespace EdgeAI.Agents.Inspection;

/// <summary>Which frames leave a picture on the device's disk (<c>Inspection:SaveImages:Mode</c>).</summary>
internal enum ImageSaveMode
{
    /// <summary>No pictures are written (the default: privacy first).</summary>
    None,

    /// <summary>Defective frames only: the heatmap overlay and one crop per defect region.</summary>
    Defects,

    /// <summary>Every frame's heatmap overlay, plus the crops of defective frames.</summary>
    All,
}
