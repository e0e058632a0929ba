using EdgeAI.Messaging;
using Microsoft.Extensions.Hosting;

namespace EdgeAI.Agents.Publishing;

/// <summary>
/// Starts the device's <see cref="MqttPublisher"/> before the agents and stops it after them (hosted
/// services stop in reverse order), so every result an agent hands over on shutdown is stored in the
/// outbox and the retained "offline" status goes out last.
/// </summary>
internal sealed class PublisherService(MqttPublisher publisher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => publisher.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => publisher.StopAsync(cancellationToken);
}
