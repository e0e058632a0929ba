namespace EdgeAI.Messaging;

/// <summary>Sparkplug B metric data types (values as in the Sparkplug 3.0 specification); the subset EdgeAI writes.</summary>
public enum SparkplugDataType
{
    /// <summary>32-bit signed integer.</summary>
    Int32 = 3,

    /// <summary>64-bit signed integer.</summary>
    Int64 = 4,

    /// <summary>64-bit unsigned integer.</summary>
    UInt64 = 8,

    /// <summary>32-bit IEEE float.</summary>
    Float = 9,

    /// <summary>64-bit IEEE float.</summary>
    Double = 10,

    /// <summary>Boolean.</summary>
    Boolean = 11,

    /// <summary>UTF-8 string.</summary>
    String = 12,

    /// <summary>Milliseconds since the Unix epoch, UTC.</summary>
    DateTime = 13,

    /// <summary>Opaque bytes.</summary>
    Bytes = 17,
}
