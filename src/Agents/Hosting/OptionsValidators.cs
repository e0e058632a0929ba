using EdgeAI.Messaging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Hosting;

/// <summary>Startup validation: each failure names the configuration key and what it expects.</summary>
internal sealed class OptionsValidators : IValidateOptions<DeviceOptions>, IValidateOptions<MqttPublisherOptions>, IValidateOptions<FleetOptions>
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

        if (string.IsNullOrWhiteSpace(options.DataPath))
        {
            errors.Add("Device:DataPath is empty; expected a writable folder for the outbox.");
        }

        return Result(errors);
    }

    public ValidateOptionsResult Validate(string? name, MqttPublisherOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException)
        {
            // The SDK names its own setting ("MqttPublisherOptions.Port is 0; ..."); say where it lives in
            // the device's configuration instead ("Mqtt:Port is 0; ...").
            var message = ex.Message.Replace($"{nameof(MqttPublisherOptions)}.", "Mqtt:", StringComparison.Ordinal);
            // ArgumentException appends the parameter name: " (Parameter 'Port')", or with UseSystemResourceKeys
            // (the published program) " Arg_ParamName_Name, Port". The message already names the setting.
            var suffix = ex is ArgumentException { ParamName: not null } ? message.LastIndexOf(" (Parameter '", StringComparison.Ordinal) : -1;
            suffix = suffix > 0 ? suffix : message.LastIndexOf(" Arg_ParamName_Name", StringComparison.Ordinal);
            return ValidateOptionsResult.Fail(suffix > 0 ? message[..suffix] : message);
        }
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
