using System.Globalization;
using EdgeAI.ModelFactory;

// Usage (from the repository root; see models/defect-cnn/MODEL_CARD.md):
//   dotnet run -c Release --project tools/ModelFactory -- defect-cnn [--out models/defect-cnn] [--epochs 15]
//        [--pool 14000] [--batch 64] [--lr 0.004] [--seed 1] [--arch v2] [--binary-weight 1] [--augment mild|strong] [--validation 3000] [--fresh-procedural 0.5] [--extra-textures] [--terrains] [--aggregate] [--min-visibility 2] [--version 1.1.0] [--bench]
//   dotnet run -c Release --project tools/ModelFactory -- defect-cnn-finetune [--model models/defect-cnn] [--from pruned]
//        [--out FILE] [--epochs 3] [--pool 8000] [--batch 64] [--lr 0.001] [--seed 1] [--binary-weight 1] [--validation 1000]
//        [--cam-distill 1] [--teacher fp32] [--fresh-procedural 0.5] [--extra-textures] [--terrains] [--aggregate] [--min-visibility 2]
//        (trains a variant that exists only as ONNX, e.g. after `edgeai-quant prune`; --out defaults to the variant's file,
//        and when --out is a variant's file the manifest's sha256/size of it are updated)
const string Usage = "usage: EdgeAI.ModelFactory defect-cnn [--out DIR] [--epochs N] [--pool N] [--batch N] [--lr X] [--seed N] [--arch NAME] [--binary-weight X] [--augment mild|strong] [--validation N] [--fresh-procedural X] [--extra-textures] [--terrains] [--aggregate] [--min-visibility X] [--version X.Y.Z] [--bench]\n"
    + "       EdgeAI.ModelFactory defect-cnn-finetune [--model DIR] [--from VARIANT] [--out FILE] [--epochs N] [--pool N] [--batch N] [--lr X] [--seed N] [--binary-weight X] [--validation N] [--cam-distill W] [--teacher VARIANT] [--fresh-procedural X] [--extra-textures] [--terrains] [--aggregate] [--min-visibility X]";
var ci = CultureInfo.InvariantCulture;
try
{
    switch (args.FirstOrDefault())
    {
        case "defect-cnn":
            var training = new TrainingOptions();
            for (var i = 1; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--out": training.OutputDirectory = Value(i++); break;
                    case "--epochs": training.Epochs = int.Parse(Value(i++), ci); break;
                    case "--pool": training.PoolSize = int.Parse(Value(i++), ci); break;
                    case "--batch": training.BatchSize = int.Parse(Value(i++), ci); break;
                    case "--lr": training.LearningRate = double.Parse(Value(i++), ci); break;
                    case "--seed": training.Seed = int.Parse(Value(i++), ci); break;
                    case "--bench": training.BenchOnly = true; break;
                    case "--arch": training.Architecture = Value(i++); break;
                    case "--binary-weight": training.BinaryLossWeight = double.Parse(Value(i++), ci); break;
                    case "--augment": training.Augmentation = Value(i++); break;
                    case "--validation": training.ValidationSize = int.Parse(Value(i++), ci); break;
                    case "--fresh-procedural": training.FreshProcedural = double.Parse(Value(i++), ci); break;
                    case "--extra-textures": training.ExtraTextures = true; break;
                    case "--aggregate": training.AggregateSurfaces = true; break;
                    case "--terrains": training.TerrainTextures = true; break;
                    case "--min-visibility": training.MinVisibility = double.Parse(Value(i++), ci); break;
                    case "--version": training.Version = Value(i++); break;
                    default: return Unknown(args[i]);
                }
            }

            training.Validate();
            return DefectTrainer.Run(training);

        case "defect-cnn-finetune":
            var tuning = new FineTuneOptions();
            for (var i = 1; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--model": tuning.ModelDirectory = Value(i++); break;
                    case "--from": tuning.FromVariant = Value(i++); break;
                    case "--out": tuning.OutputFile = Value(i++); break;
                    case "--epochs": tuning.Epochs = int.Parse(Value(i++), ci); break;
                    case "--pool": tuning.PoolSize = int.Parse(Value(i++), ci); break;
                    case "--batch": tuning.BatchSize = int.Parse(Value(i++), ci); break;
                    case "--lr": tuning.LearningRate = double.Parse(Value(i++), ci); break;
                    case "--seed": tuning.Seed = int.Parse(Value(i++), ci); break;
                    case "--binary-weight": tuning.BinaryLossWeight = double.Parse(Value(i++), ci); break;
                    case "--validation": tuning.ValidationSize = int.Parse(Value(i++), ci); break;
                    case "--cam-distill": tuning.CamDistillWeight = double.Parse(Value(i++), ci); break;
                    case "--teacher": tuning.Teacher = Value(i++); break;
                    case "--fresh-procedural": tuning.FreshProcedural = double.Parse(Value(i++), ci); break;
                    case "--extra-textures": tuning.ExtraTextures = true; break;
                    case "--aggregate": tuning.AggregateSurfaces = true; break;
                    case "--terrains": tuning.TerrainTextures = true; break;
                    case "--min-visibility": tuning.MinVisibility = double.Parse(Value(i++), ci); break;
                    default: return Unknown(args[i]);
                }
            }

            tuning.Validate();
            return DefectFineTuner.Run(tuning);

        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException or FileNotFoundException or EdgeAI.Inference.EdgeModelException or EdgeAI.Quantization.Onnx.OnnxFormatException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

string Value(int i) => i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");

static int Unknown(string arg)
{
    Console.Error.WriteLine($"Unknown argument '{arg}'.");
    return 2;
}
