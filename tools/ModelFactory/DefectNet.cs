using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdgeAI.ModelFactory;

/// <summary>
/// One convolution with batch norm and ReLU (the exporter folds the batch norm into the convolution). Padding is the
/// same on every side; by default (-1) it is <c>dilation * (kernel / 2)</c>, "same" for odd kernels. A residual layer
/// (same channels in and out, stride 1) adds its input before the ReLU: <c>relu(bn(conv(x)) + x)</c>.
/// </summary>
internal sealed class ConvBnRelu : nn.Module<Tensor, Tensor>
{
    public ConvBnRelu(string name, long inChannels, long outChannels, long kernel, long stride, long dilation, bool depthwise, long padding = -1, bool residual = false)
        : base(name)
    {
        if (residual && (inChannels != outChannels || stride != 1))
        {
            throw new ArgumentException($"Residual layer '{name}' needs equal input and output channels and stride 1, got {inChannels}->{outChannels}, stride {stride}.", nameof(residual));
        }

        Residual = residual;
        Padding = padding >= 0 ? padding : dilation * (kernel / 2);
        Conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: Padding, dilation: dilation,
            groups: depthwise ? inChannels : 1, bias: false);
        Bn = nn.BatchNorm2d(outChannels);
        Stride = stride;
        Dilation = dilation;
        Kernel = kernel;
        Groups = depthwise ? inChannels : 1;
        RegisterComponents();
    }

    public Conv2d Conv { get; }

    public BatchNorm2d Bn { get; }

    public long Stride { get; }

    public long Dilation { get; }

    public long Kernel { get; }

    public long Padding { get; }

    public long Groups { get; }

    /// <summary>Whether the input is added to the normalized convolution before the ReLU.</summary>
    public bool Residual { get; }

    public override Tensor forward(Tensor input)
    {
        var y = Bn.forward(Conv.forward(input));
        return nn.functional.relu(Residual ? y + input : y);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Conv.Dispose();
            Bn.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// The defect CNN: a stride-2 stem, depthwise-separable blocks down to 16x16 (later ones dilated for a wider
/// view without losing heatmap resolution), then a 1x1 convolution to one map per class. The class map is the
/// class activation map (CAM); its global average is the logit, which is the same as a linear head after
/// global average pooling (the head is linear, so pooling and head commute).
/// </summary>
internal sealed class DefectNet : nn.Module<Tensor, (Tensor Logits, Tensor Cam)>
{
    public const int CamSide = 16;

    public DefectNet(int classes, string architecture)
        : base("defect_net")
    {
        var layers = Architecture(architecture);
        MaxLogits = architecture == "v7";
        Layers = nn.ModuleList(layers.ToArray());
        Head = nn.Conv2d(layers[^1].Conv.out_channels, classes, 1, bias: true);
        RegisterComponents();
    }

    /// <summary>
    /// The front shared by v2 and later: a full-resolution 3x3 stem, symmetric 4x4/stride-2 downsampling to 32x32, one
    /// 3x3 layer there, and 4x4/stride-2 to 16x16 with <paramref name="channels"/> outputs.
    /// </summary>
    private static List<ConvBnRelu> Front(long channels) =>
    [
        new("stem", 3, 16, 3, 1, 1, false),            // 64x64
        new("down1", 16, 32, 4, 2, 1, false, 1),       // 32x32
        new("c32", 32, 32, 3, 1, 1, false),
        new("down2", 32, channels, 4, 2, 1, false, 1), // 16x16
    ];

    /// <summary>Layer stacks measured during development (see training-log.txt for the one used).</summary>
    public static List<ConvBnRelu> Architecture(string name) => name switch
    {
        // Depthwise-separable: two strided full convolutions to 16x16, then four dw+pw blocks.
        "dws" =>
        [
            new("stem", 3, 16, 3, 2, 1, false),            // 32x32
            new("down", 16, 32, 3, 2, 1, false),           // 16x16
            new("b1dw", 32, 32, 3, 1, 1, true),
            new("b1pw", 32, 64, 1, 1, 1, false),
            new("b2dw", 64, 64, 3, 1, 1, true),
            new("b2pw", 64, 96, 1, 1, 1, false),
            new("b3dw", 96, 96, 3, 1, 2, true),
            new("b3pw", 96, 128, 1, 1, 1, false),
            new("b4dw", 128, 128, 3, 1, 1, true),
            new("b4pw", 128, 128, 1, 1, 1, false),
        ],

        // Plain 3x3 convolutions (libtorch's CPU kernels are much faster for these than for depthwise).
        "plain" =>
        [
            new("stem", 3, 16, 3, 2, 1, false),            // 32x32
            new("down", 16, 32, 3, 2, 1, false),           // 16x16
            new("c1", 32, 48, 3, 1, 1, false),
            new("c2", 48, 64, 3, 1, 2, false),
            new("c3", 64, 64, 3, 1, 1, false),
        ],
        // Thin lines survive: a full-resolution stem, then 4x4/stride-2/pad-1 downsampling, which is symmetric
        // (output i sees inputs 2i-1..2i+2, centred on 2i+0.5), so cam cell (i, j) is centred on the centre of
        // its 4x4 pixel block (4i+1.5, 4j+1.5). 3x3/stride-2/pad-1 on an even input pads only the top/left edge.
        // Then depthwise-separable blocks at 16x16 with growing dilation for an ~88 px receptive field.
        "v2" =>
        [
            .. Front(64),
            new("b1dw", 64, 64, 3, 1, 1, true),
            new("b1pw", 64, 96, 1, 1, 1, false),
            new("b2dw", 96, 96, 3, 1, 2, true),
            new("b2pw", 96, 128, 1, 1, 1, false),
            new("b3dw", 128, 128, 3, 1, 2, true),
            new("b3pw", 128, 160, 1, 1, 1, false),
            new("b4dw", 160, 160, 3, 1, 4, true),
            new("b4pw", 160, 192, 1, 1, 1, false),
        ],
        // The dws stack with v2's symmetric 4x4/stride-2 downsampling and a wider last block: about half v2's training
        // cost on a CPU (libtorch's depthwise kernels at 16x16 with many channels dominate a step).
        "v3" =>
        [
            new("stem", 3, 16, 4, 2, 1, false, 1),         // 32x32
            new("down", 16, 32, 4, 2, 1, false, 1),        // 16x16
            new("b1dw", 32, 32, 3, 1, 1, true),
            new("b1pw", 32, 64, 1, 1, 1, false),
            new("b2dw", 64, 64, 3, 1, 1, true),
            new("b2pw", 64, 96, 1, 1, 1, false),
            new("b3dw", 96, 96, 3, 1, 2, true),
            new("b3pw", 96, 128, 1, 1, 1, false),
            new("b4dw", 128, 128, 3, 1, 2, true),
            new("b4pw", 128, 192, 1, 1, 1, false),
        ],
        // v2's full-resolution stem and widths with v3's smaller dilations (1, 1, 2, 2; ~64 px receptive field instead
        // of v2's ~88): v2's dilation 4 in the last block spread the CAM evidence over the texture (pointing game 0.21).
        "v4" =>
        [
            .. Front(64),
            new("b1dw", 64, 64, 3, 1, 1, true),
            new("b1pw", 64, 96, 1, 1, 1, false),
            new("b2dw", 96, 96, 3, 1, 1, true),
            new("b2pw", 96, 128, 1, 1, 1, false),
            new("b3dw", 128, 128, 3, 1, 2, true),
            new("b3pw", 128, 160, 1, 1, 1, false),
            new("b4dw", 160, 160, 3, 1, 2, true),
            new("b4pw", 160, 192, 1, 1, 1, false),
        ],
        // v2's front with dense 3x3 convolutions at 16x16 instead of depthwise-separable blocks: ONNX Runtime's int8
        // dense/pointwise kernels run 2-3x faster than fp32 on x64, its int8 depthwise ones slower (docs/quantization.md).
        // Dilations 1, 1, 2, 1 (receptive field 56 px). Did not train: loss stayed at chance level for two passes of
        // 9,000 images at lr 0.004 and one short pass at lr 0.001 (v2 learns in the first pass): with mean-pooled logits; the same layers train as v7 (max-pooled).
        "v5" =>
        [
            .. Front(64),
            new("c1", 64, 96, 3, 1, 1, false),
            new("c2", 96, 128, 3, 1, 1, false),
            new("c3", 128, 128, 3, 1, 2, false),
            new("c4", 128, 160, 3, 1, 1, false),
        ],
        // v5 made residual: down2 widens to 112 channels, then four dense 3x3 layers at 16x16 that each add their input
        // before the ReLU, dilations 1, 1, 2, 1 (receptive field 56 px). Did not train either: chance level after one
        // pass of 9,000 images at lr 0.002 with either augmentation (MODEL_CARD.md, "Model selection").
        "v6" =>
        [
            .. Front(112),
            new("r1", 112, 112, 3, 1, 1, false, residual: true),
            new("r2", 112, 112, 3, 1, 1, false, residual: true),
            new("r3", 112, 112, 3, 1, 2, false, residual: true),
            new("r4", 112, 112, 3, 1, 1, false, residual: true),
        ],
        // v5's layers with logits = spatial max of the class maps (MaxLogits): trains where v5 did not.
        "v7" => Architecture("v5"),
        _ => throw new ArgumentException($"Unknown architecture '{name}'; expected v7, v6, v5, v4, v3, v2, dws or plain.", nameof(name)),
    };

    public ModuleList<ConvBnRelu> Layers { get; }

    /// <summary>
    /// Whether a logit is the spatial maximum of its class map instead of the mean (<c>v7</c>). With the mean, a defect
    /// covering a few of the 256 cells moves the logit by a few percent of its evidence: the dense stacks (v5, v6,
    /// plain) never found that signal and stayed at chance, while the maximum trains them in the first pass.
    /// </summary>
    public bool MaxLogits { get; }

    public Conv2d Head { get; }

    public override (Tensor Logits, Tensor Cam) forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var layer in Layers)
        {
            x = layer.forward(x);
        }

        var cam = Head.forward(x);
        var logits = MaxLogits ? cam.amax([2, 3]) : cam.mean([2, 3]);
        return (logits.MoveToOuterDisposeScope(), cam.MoveToOuterDisposeScope());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Layers.Dispose();
            Head.Dispose();
        }

        base.Dispose(disposing);
    }
}
