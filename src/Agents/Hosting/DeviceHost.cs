using EdgeAI.Agents.Fleet;
using EdgeAI.Agents.Inspection;
using EdgeAI.Agents.Publishing;
using EdgeAI.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Hosting;

/// <summary>Builds the generic host that runs the agents, from whatever configuration sources a command supplies.</summary>
internal static class DeviceHost
{
    /// <summary>Configuration section of the publisher (<see cref="MqttPublisherOptions"/>).</summary>
    public const string MqttSection = "Mqtt";

    public static IHost Build(Action<IConfigurationBuilder> configure, LogLevel minimumLevel)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure(builder.Configuration);
        builder.Configuration.AddEnvironmentVariables("EDGEAI_");

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        // Logs go to stderr so that stdout carries only what a command prints (tables, JSON).
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        builder.Services.Configure<DeviceOptions>(builder.Configuration.GetSection(DeviceOptions.Section));
        builder.Services.Configure<MqttPublisherOptions>(builder.Configuration.GetSection(MqttSection));
        builder.Services.Configure<FleetOptions>(builder.Configuration.GetSection(FleetOptions.Section));
        builder.Services.Configure<InspectionOptions>(builder.Configuration.GetSection(InspectionOptions.Section));

        // The publisher's site, device and outbox come from the Device section unless Mqtt sets them.
        builder.Services.AddSingleton<IPostConfigureOptions<MqttPublisherOptions>, PublisherDefaults>();
        builder.Services.AddSingleton<IValidateOptions<DeviceOptions>, OptionsValidators>();
        builder.Services.AddSingleton<IValidateOptions<MqttPublisherOptions>, OptionsValidators>();
        builder.Services.AddSingleton<IValidateOptions<FleetOptions>, OptionsValidators>();
        builder.Services.AddOptions<DeviceOptions>().ValidateOnStart();
        builder.Services.AddOptions<MqttPublisherOptions>().ValidateOnStart();
        builder.Services.AddOptions<FleetOptions>().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InspectionOptions>, InspectionOptionsValidator>();
        builder.Services.AddOptions<InspectionOptions>().ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new MqttPublisher(
            sp.GetRequiredService<IOptions<MqttPublisherOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MqttPublisher>>()));

        // Registered first: started before the agents, stopped after them.
        builder.Services.AddHostedService<PublisherService>();
        builder.Services.AddHostedService<FleetAgent>();
        builder.Services.AddHostedService<InspectionAgent>();
        return builder.Build();
    }

    private sealed class PublisherDefaults(IOptions<DeviceOptions> device) : IPostConfigureOptions<MqttPublisherOptions>
    {
        public void PostConfigure(string? name, MqttPublisherOptions options)
        {
            var d = device.Value;
            if (string.IsNullOrEmpty(options.Site))
            {
                options.Site = d.Site;
            }

            if (string.IsNullOrEmpty(options.Device))
            {
                options.Device = d.Id;
            }

            if (string.IsNullOrEmpty(options.OutboxPath) && !string.IsNullOrWhiteSpace(d.DataPath))
            {
                Directory.CreateDirectory(d.ResolvedDataPath);
                options.OutboxPath = Path.Combine(d.ResolvedDataPath, "outbox.db");
            }
        }
    }
}
