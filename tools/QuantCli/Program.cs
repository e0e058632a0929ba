using EdgeAI.QuantCli;

return QuantCliApp.Run(args, Console.Out, Console.Error);
