using System.Runtime.CompilerServices;
using StbImageSharp;

namespace EdgeAI.Vision;

/// <summary>
/// Decodes with StbImageSharp's own entry point into its native pixel buffer and copies that into the caller's span,
/// instead of <see cref="ImageResult.FromStream"/>, which copies the same buffer into a new managed array per image
/// (921,600 bytes for a 640x480 RGB frame, on the large-object heap). The buffer is released with StbImageSharp's own
/// <c>free</c>, so its allocation count stays balanced (tested).
/// </summary>
internal static unsafe class StbPixels
{
    private const string RuntimeType = "StbImageSharp.Hebron.Runtime.CRuntime, StbImageSharp";
    private const string StatsType = "StbImageSharp.Hebron.Runtime.MemoryStats, StbImageSharp";

    /// <summary>Decodes <paramref name="stream"/> to 8-bit pixels with <paramref name="components"/> channels and copies them into a buffer.</summary>
    /// <param name="stream">The encoded image.</param>
    /// <param name="components">1 (gray) or 3 (RGB).</param>
    /// <param name="rent">Called with the decoded width and height; returns the span to copy <c>width * height * components</c> bytes into.</param>
    /// <returns>The decoded width and height.</returns>
    /// <exception cref="InvalidDataException">stb refused the data; the message is stb's reason.</exception>
    public static (int Width, int Height) Decode(Stream stream, int components, Func<int, int, Span<byte>> rent)
    {
        int width, height, sourceComponents;
        var context = new StbImage.stbi__context(stream);
        var pixels = StbImage.stbi__load_and_postprocess_8bit(context, &width, &height, &sourceComponents, components);
        if (pixels == null)
        {
            throw new InvalidDataException(StbImage.stbi__g_failure_reason ?? "stb returned no image");
        }

        try
        {
            var destination = rent(width, height);
            new ReadOnlySpan<byte>(pixels, checked(width * height * components)).CopyTo(destination);
            return (width, height);
        }
        finally
        {
            Free(null, pixels);
        }
    }

    /// <summary>StbImageSharp's count of native buffers it allocated and not yet freed.</summary>
    internal static int OutstandingAllocations => Allocations(null);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "free")]
    private static extern void Free([UnsafeAccessorType(RuntimeType)] object? runtime, void* pointer);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "get_Allocations")]
    private static extern int Allocations([UnsafeAccessorType(StatsType)] object? stats);
}
