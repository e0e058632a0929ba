namespace EdgeAI.QuantCli;

/// <summary>
/// Calibration progress on standard error: a bar redrawn in place when standard error is a terminal, otherwise
/// a plain line every tenth of the samples (so logs and CI output stay readable).
/// </summary>
internal static class CalibrationProgress
{
    private const int BarWidth = 30;

    /// <summary>Whether <paramref name="error"/> is the process's standard error and that is a terminal.</summary>
    public static bool IsTerminal(TextWriter error) => ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Passes <paramref name="items"/> through, reporting each one taken.</summary>
    /// <param name="items">The samples.</param>
    /// <param name="total">How many are expected (files found); the count shown may end lower when files are skipped.</param>
    /// <param name="error">Where to write.</param>
    /// <param name="terminal">Draw a bar (true) or plain lines (false).</param>
    public static IEnumerable<T> Track<T>(IEnumerable<T> items, int total, TextWriter error, bool terminal)
    {
        var step = Math.Max(1, (total + 9) / 10);
        var done = 0;
        foreach (var item in items)
        {
            yield return item;
            done++;
            if (terminal)
            {
                var filled = total == 0 ? BarWidth : Math.Min(BarWidth, done * BarWidth / total);
                error.Write($"\rcalibrating [{new string('#', filled)}{new string('.', BarWidth - filled)}] {done}/{total}");
            }
            else if (done % step == 0 || done == total)
            {
                error.WriteLine($"calibration: {done}/{total} samples");
            }
        }

        if (terminal)
        {
            error.WriteLine();
        }
    }
}
