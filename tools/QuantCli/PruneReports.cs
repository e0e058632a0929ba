namespace EdgeAI.QuantCli;

/// <summary>The report of <c>prune</c>.</summary>
internal sealed record PruneReport(
    string Input,
    string Output,
    long InputBytes,
    long OutputBytes,
    double SizeRatio,
    long InputCompressedBytes,
    long OutputCompressedBytes,
    IReadOnlyList<string> Preparation,
    long ParametersBefore,
    long ParametersAfter,
    long? MacsBefore,
    long? MacsAfter,
    IReadOnlyList<PrunedLayerReport> Layers,
    IReadOnlyList<RefusedLayerReport> Refused,
    SparsityReport? Unstructured,
    PruneBudgetReport? Budget,
    PruneComparisonReport? Comparison,
    string? Manifest,
    string? Variant,
    string Sha256);

/// <summary>One layer in the <c>prune</c> report: channels, parameters and MACs per sample before and after, and its measured sensitivity.</summary>
internal sealed record PrunedLayerReport(
    string Name,
    IReadOnlyList<string> Convs,
    int ChannelsBefore,
    int ChannelsAfter,
    long ParametersBefore,
    long ParametersAfter,
    long? MacsBefore,
    long? MacsAfter,
    double? SensitivityCosine);

/// <summary>A layer structured pruning left whole, and why.</summary>
internal sealed record RefusedLayerReport(string Name, string Reason);

/// <summary>Unstructured magnitude pruning: zeros over the sparsified weights (shrinks compressed size, not latency, on ONNX Runtime CPU).</summary>
internal sealed record SparsityReport(double Target, double Sparsity, long Weights, long Zeros);

/// <summary>The accuracy budget of <c>prune --budget-*</c> (the floors, and the outputs they apply to; empty: all) and whether the search met it.</summary>
internal sealed record PruneBudgetReport(double? MinCosine, double? MinTop1, IReadOnlyList<string> Outputs, bool Met, int Evaluations);

/// <summary>The pruned model against the input model on the evaluation set (same run, interleaved timing).</summary>
internal sealed record PruneComparisonReport(
    int Samples,
    IReadOnlyList<OutputReport> Outputs,
    double? ReferenceMicroseconds,
    double? CandidateMicroseconds,
    double? LatencyRatio,
    int IntraOpThreads);
