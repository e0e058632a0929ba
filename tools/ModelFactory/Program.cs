using System.Globalization;
using EdgeAI.ModelFactory;

// Usage (from the repository root; see models/defect-cnn/MODEL_CARD.md):
//   dotnet run -c Release --project tools/ModelFactory -- defect-cnn [--out models/defect-cnn] [--epochs 15]
//        [--pool 14000] [--batch 64] [--lr 0.004] [--seed 1] [--arch v2] [--binary-weight 1] [--augment mild|strong] [--validation 3000] [--bench]
if (args.Length == 0 || args[0] != "defect-cnn")
{
    Console.Error.WriteLine("usage: EdgeAI.ModelFactory defect-cnn [--out DIR] [--epochs N] [--pool N] [--batch N] [--lr X] [--seed N] [--arch NAME] [--binary-weight X] [--augment mild|strong] [--validation 3000] [--bench]");
    return 2;
}

var options = new TrainingOptions();
for (var i = 1; i < args.Length; i++)
{
    var ci = CultureInfo.InvariantCulture;
    switch (args[i])
    {
        case "--out": options.OutputDirectory = args[++i]; break;
        case "--epochs": options.Epochs = int.Parse(args[++i], ci); break;
        case "--pool": options.PoolSize = int.Parse(args[++i], ci); break;
        case "--batch": options.BatchSize = int.Parse(args[++i], ci); break;
        case "--lr": options.LearningRate = double.Parse(args[++i], ci); break;
        case "--seed": options.Seed = int.Parse(args[++i], ci); break;
        case "--bench": options.BenchOnly = true; break;
        case "--arch": options.Architecture = args[++i]; break;
        case "--validation": options.ValidationSize = int.Parse(args[++i], ci); break;
        case "--augment": options.Augmentation = args[++i]; break;
        case "--binary-weight": options.BinaryLossWeight = double.Parse(args[++i], ci); break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'.");
            return 2;
    }
}

options.Validate();
return DefectTrainer.Run(options);
