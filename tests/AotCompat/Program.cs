// Nothing to run: publishing this app with every library rooted (see the .csproj) is the check.
System.Console.WriteLine("EdgeAI libraries published Native AOT with every type rooted: "
    + typeof(EdgeAI.Inference.EdgeModel).Assembly.GetName().Name + ", "
    + typeof(EdgeAI.Quantization.Onnx.OnnxModel).Assembly.GetName().Name + ".");
