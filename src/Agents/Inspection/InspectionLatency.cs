namespace EdgeAI.Agents.Inspection;

/// <summary>Where a frame's time went, in milliseconds on the agent's clock, rounded to 3 decimals; published as <c>latencyMs</c>.</summary>
/// <param name="Wait">From the frame's timestamp (capture or arrival, set by the source) to the start of preprocessing: decoding plus waiting in the queue.</param>
/// <param name="Preprocess">Resize and normalize into the model input.</param>
/// <param name="Inference">The ONNX Runtime run.</param>
/// <param name="Postprocess">Softmax, threshold, heatmap regions and saving pictures.</param>
/// <param name="Total">From the frame's timestamp to the hand-over to the publisher (the outbox write and the broker's acknowledgement follow).</param>
internal readonly record struct InspectionLatency(double Wait, double Preprocess, double Inference, double Postprocess, double Total);
