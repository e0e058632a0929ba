namespace EdgeAI.QuantCli;

/// <summary>A graph input or output: element type and shape (dimension values or symbolic names, "?" when unknown).</summary>
internal sealed record TensorReport(string Name, string ElementType, IReadOnlyList<string> Shape);

/// <summary>The report of <c>inspect</c>.</summary>
internal sealed record InspectReport(
    string Path,
    long SizeBytes,
    long IrVersion,
    IReadOnlyDictionary<string, long> Opsets,
    string Producer,
    IReadOnlyList<TensorReport> Inputs,
    IReadOnlyList<TensorReport> Outputs,
    int NodeCount,
    IReadOnlyDictionary<string, int> OpHistogram,
    long ParameterCount,
    int InitializerCount,
    IReadOnlyList<string> Preparation,
    IReadOnlyList<string> StaticInt8Nodes,
    IReadOnlyList<string> StaticInt8Skipped,
    IReadOnlyList<string> DynamicInt8Nodes,
    IReadOnlyList<string> DynamicInt8Skipped);

/// <summary>The report of <c>quantize static</c> and <c>quantize dynamic</c>.</summary>
internal sealed record QuantizeReport(
    string Mode,
    string Input,
    string Output,
    long InputBytes,
    long OutputBytes,
    double SizeRatio,
    string? Method,
    int CalibrationSamples,
    IReadOnlyList<string> Preparation,
    IReadOnlyList<string> QuantizedNodes,
    IReadOnlyList<string> SkippedNodes,
    string? Manifest,
    string? Variant,
    string Sha256,
    IReadOnlyList<string> DisabledOptimizers,
    AccuracyReport? Accuracy = null,
    IReadOnlyList<string>? SkippedCalibrationFiles = null,
    LatencyReport? Latency = null);

/// <summary>Accuracy-aware mode in the <c>quantize static</c> report.</summary>
internal sealed record AccuracyReport(double Budget, double MinCosine, bool BudgetMet, IReadOnlyList<string> KeptFp32, IReadOnlyList<SensitivityReport> Sensitivities);

/// <summary>Latency-guided mode in the <c>quantize static</c> report: latency ratios measured side by side, and per layer whether fp32 was faster.</summary>
internal sealed record LatencyReport(
    int Samples, int TimingRepeats, int AccuracySamples, double AllInt8VsFp32, double FinalVsFp32, double FinalVsAllInt8,
    double MinCosine, double MeanCosine, double? Top1Agreement, IReadOnlyList<LayerLatencyReport> Layers);

/// <summary>
/// One candidate tried by the latency-guided mode (a layer, or a group of nodes: <c>nodes</c> lists them): reverted to fp32 or
/// kept int8, the measured ratios (fp32 candidate over the best so far), and whether the accuracy guard refused a faster one.
/// </summary>
internal sealed record LayerLatencyReport(string Node, IReadOnlyList<string> Nodes, bool RevertedToFp32, IReadOnlyList<double> Ratios, bool RefusedByAccuracy);

/// <summary>One layer's sensitivity: SQNR in dB of its output when quantized alone (null when exact).</summary>
internal sealed record SensitivityReport(string Node, double? SqnrDb);

/// <summary>Agreement of one output in the <c>compare</c> report.</summary>
internal sealed record OutputReport(string Name, double MaxAbsDiff, double MinCosine, double MeanCosine, double? SqnrDb, double? Top1Agreement);

/// <summary>The report of <c>compare</c>.</summary>
internal sealed record CompareReport(
    string Reference,
    string Candidate,
    int Samples,
    long ReferenceBytes,
    long CandidateBytes,
    double SizeRatio,
    double? ReferenceMicroseconds,
    double? CandidateMicroseconds,
    double? LatencyRatio,
    int IntraOpThreads,
    IReadOnlyList<OutputReport> Outputs,
    IReadOnlyList<string> FailedChecks);
