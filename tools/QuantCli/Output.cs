using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeAI.QuantCli;

/// <summary>Writes a report as JSON (with --json) or as text.</summary>
internal static class Output
{
    public static void Write<T>(ParseResult parse, T report, JsonTypeInfo<T> typeInfo, Action<TextWriter> text)
    {
        var writer = parse.InvocationConfiguration.Output;
        if (parse.GetValue(QuantCliApp.JsonOption))
        {
            writer.WriteLine(JsonSerializer.Serialize(report, typeInfo));
        }
        else
        {
            text(writer);
        }
    }

    public static string F(double value, string format = "G4") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>JSON has no infinity or NaN: those become null.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
