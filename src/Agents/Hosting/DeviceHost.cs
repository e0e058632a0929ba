using EdgeAI.Agents.Fleet;
using EdgeAI.Agents.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Hosting;

/// <summary>Builds the generic host that runs the agents, from whatever configuration sources a command supplies.</summary>
internal static class DeviceHost
{
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
        builder.Services.Configure<MqttOptions>(builder.Configuration.GetSection(MqttOptions.Section));
        builder.Services.Configure<FleetOptions>(builder.Configuration.GetSection(FleetOptions.Section));
        builder.Services.AddSingleton<IValidateOptions<DeviceOptions>, OptionsValidators>();
        builder.Services.AddSingleton<IValidateOptions<MqttOptions>, OptionsValidators>();
        builder.Services.AddSingleton<IValidateOptions<FleetOptions>, OptionsValidators>();
        builder.Services.AddOptions<DeviceOptions>().ValidateOnStart();
        builder.Services.AddOptions<MqttOptions>().ValidateOnStart();
        builder.Services.AddOptions<FleetOptions>().ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MqttResultSink>();
        builder.Services.AddSingleton<IResultSink>(sp => sp.GetRequiredService<MqttResultSink>());
        builder.Services.AddHostedService<FleetAgent>();
        return builder.Build();
    }
}
