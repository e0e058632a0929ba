using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Hosting;

/// <summary>Startup validation: each failure names the configuration key and what it expects.</summary>
internal sealed class OptionsValidators : IValidateOptions<DeviceOptions>, IValidateOptions<MqttOptions>, IValidateOptions<FleetOptions>
{
    public ValidateOptionsResult Validate(string? name, DeviceOptions options)
    {
        var errors = new List<string>();
        CheckTopicLevel(errors, "Device:Site", options.Site);
        CheckTopicLevel(errors, "Device:Id", options.Id);
        if (string.IsNullOrWhiteSpace(options.ModelsPath))
        {
            errors.Add("Device:ModelsPath is empty; expected the folder of model directories.");
        }

        return Result(errors);
    }

    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            errors.Add("Mqtt:Host is empty; expected the broker's host name or address.");
        }

        if (options.Port is < 1 or > 65535)
        {
            errors.Add($"Mqtt:Port is {options.Port}; expected 1-65535.");
        }

        CheckTopicLevel(errors, "Mqtt:TopicPrefix", options.TopicPrefix);
        return Result(errors);
    }

    public ValidateOptionsResult Validate(string? name, FleetOptions options) =>
        options.HeartbeatSeconds is >= 0.05 and <= 86400
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Fleet:HeartbeatSeconds is {options.HeartbeatSeconds}; expected 0.05-86400.");

    internal static void CheckTopicLevel(List<string> errors, string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{key} is empty; expected one MQTT topic level.");
        }
        else if (value.IndexOfAny(['/', '+', '#', '\0']) >= 0 || value.Length > 128)
        {
            errors.Add($"{key} '{value}' is not a topic level; it may not contain / + # or NUL and must be at most 128 characters.");
        }
    }

    private static ValidateOptionsResult Result(List<string> errors) =>
        errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
