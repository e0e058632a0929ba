namespace EdgeAI.Agents.Publishing;

/// <summary>Where agents hand their results: the seam between agents and the transport.</summary>
internal interface IResultSink
{
    /// <summary>Publishes one result of <paramref name="agent"/> under topic kind <paramref name="kind"/>.</summary>
    ValueTask PublishAsync(string agent, string kind, ReadOnlyMemory<byte> payload, bool retain, CancellationToken cancellationToken = default);
}
