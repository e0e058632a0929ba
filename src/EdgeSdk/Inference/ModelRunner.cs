using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Inference;

/// <summary>
/// Runs one <see cref="EdgeModel"/> over buffers it allocates once: inputs and outputs live in pinned
/// arrays that ONNX Runtime reads and writes in place through an I/O binding, so after the first run a
/// <see cref="Run"/> allocates no managed memory.
/// </summary>
/// <remarks>
/// Not thread-safe: give each agent or thread its own runner (several runners may share one model).
/// Spans returned by <see cref="Input{T}(int)"/> and <see cref="Output{T}(int)"/> stay valid until the
/// runner is disposed; outputs are overwritten by the next run.
/// </remarks>
public sealed class ModelRunner : IDisposable
{
    private readonly EdgeModel _model;
    private readonly Binding[] _inputs;
    private readonly Binding[] _outputs;
    private readonly OrtIoBinding _ioBinding;
    private readonly RunOptions _runOptions;
    private bool _disposed;

    internal ModelRunner(EdgeModel model, IReadOnlyDictionary<string, long[]>? shapes)
    {
        _model = model;
        var session = model.Session;
        _runOptions = new RunOptions();
        _ioBinding = session.CreateIoBinding();
        _inputs = new Binding[model.Inputs.Count];
        _outputs = new Binding[model.Outputs.Count];
        try
        {
            for (var i = 0; i < _inputs.Length; i++)
            {
                _inputs[i] = Binding.Create(model.Inputs[i], shapes);
                _ioBinding.BindInput(_inputs[i].Spec.Name, _inputs[i].Value);
            }

            for (var i = 0; i < _outputs.Length; i++)
            {
                _outputs[i] = Binding.Create(model.Outputs[i], shapes);
                _ioBinding.BindOutput(_outputs[i].Spec.Name, _outputs[i].Value);
            }
        }
        catch
        {
            DisposeBindings();
            throw;
        }
    }

    /// <summary>The model this runner runs.</summary>
    public EdgeModel Model => _model;

    /// <summary>The concrete shape of input <paramref name="index"/> (open dimensions resolved).</summary>
    public ReadOnlySpan<long> InputShape(int index) => _inputs[index].Shape;

    /// <summary>The concrete shape of output <paramref name="index"/> (open dimensions resolved).</summary>
    public ReadOnlySpan<long> OutputShape(int index) => _outputs[index].Shape;

    /// <summary>The buffer of input <paramref name="index"/>, to fill before <see cref="Run"/>.</summary>
    /// <exception cref="InputShapeException"><typeparamref name="T"/> is not the input's element type.</exception>
    public Span<T> Input<T>(int index = 0)
        where T : unmanaged => _inputs[index].As<T>();

    /// <summary>The buffer of the input named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The model has no input of that name.</exception>
    /// <exception cref="InputShapeException"><typeparamref name="T"/> is not the input's element type.</exception>
    public Span<T> Input<T>(string name)
        where T : unmanaged => Find(_inputs, name, "input").As<T>();

    /// <summary>The raw bytes of input <paramref name="index"/> (little-endian elements), for loaders that read tensors from files.</summary>
    public Span<byte> InputBytes(int index) => _inputs[index].Bytes;

    /// <summary>Copies <paramref name="values"/> into input <paramref name="index"/>.</summary>
    /// <exception cref="InputShapeException">The length or element type does not match; nothing is copied.</exception>
    public void SetInput<T>(int index, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var target = _inputs[index].As<T>();
        if (values.Length != target.Length)
        {
            var b = _inputs[index];
            throw new InputShapeException(
                $"Input '{b.Spec.Name}' of model '{_model.Manifest.Name}' takes {target.Length} {b.Spec.Dtype} values (shape {ShapeText.Format(b.Shape)}), but {values.Length} were given.",
                b.Spec.Name, target.Length, values.Length);
        }

        values.CopyTo(target);
    }

    /// <summary>The values of output <paramref name="index"/> from the last <see cref="Run"/>.</summary>
    /// <exception cref="InputShapeException"><typeparamref name="T"/> is not the output's element type.</exception>
    public ReadOnlySpan<T> Output<T>(int index = 0)
        where T : unmanaged => _outputs[index].As<T>();

    /// <summary>The values of the output named <paramref name="name"/> from the last <see cref="Run"/>.</summary>
    public ReadOnlySpan<T> Output<T>(string name)
        where T : unmanaged => Find(_outputs, name, "output").As<T>();

    /// <summary>Index of the output named <paramref name="name"/>, or -1.</summary>
    public int OutputIndex(string name)
    {
        for (var i = 0; i < _outputs.Length; i++)
        {
            if (string.Equals(_outputs[i].Spec.Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Runs the model on the current input buffers, writing the output buffers in place.</summary>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed while running (e.g. a value out of range for an index input).</exception>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _model.Session.RunWithBinding(_runOptions, _ioBinding);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DisposeBindings();
    }

    private void DisposeBindings()
    {
        _ioBinding.Dispose();
        _runOptions.Dispose();
        foreach (var b in _inputs)
        {
            b?.Value.Dispose();
        }

        foreach (var b in _outputs)
        {
            b?.Value.Dispose();
        }
    }

    private Binding Find(Binding[] bindings, string name, string side)
    {
        foreach (var b in bindings)
        {
            if (string.Equals(b.Spec.Name, name, StringComparison.Ordinal))
            {
                return b;
            }
        }

        throw new ArgumentException($"Model '{_model.Manifest.Name}' has no {side} named '{name}'.", nameof(name));
    }

    private sealed class Binding
    {
        private readonly byte[] _buffer;

        private Binding(TensorSpec spec, long[] shape, TensorElementType type, byte[] buffer, OrtValue value)
        {
            Spec = spec;
            Shape = shape;
            Type = type;
            _buffer = buffer;
            Value = value;
        }

        public TensorSpec Spec { get; }

        public long[] Shape { get; }

        public TensorElementType Type { get; }

        public OrtValue Value { get; }

        public static Binding Create(TensorSpec spec, IReadOnlyDictionary<string, long[]>? shapes)
        {
            var shape = Resolve(spec, shapes);
            var type = EdgeModel.ElementTypeOf(spec);
            long count = 1;
            foreach (var d in shape)
            {
                count *= d;
            }

            var bytes = checked((int)(count * TensorDataTypes.SizeOf(type)));

            // Pinned-object-heap arrays never move, so ONNX Runtime can keep their address for the runner's life.
            var buffer = GC.AllocateArray<byte>(Math.Max(bytes, 1), pinned: true);
            var value = OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance, type, shape, Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0), bytes);
            return new Binding(spec, shape, type, buffer, value) { ByteLength = bytes };
        }

        public Span<byte> Bytes => _buffer.AsSpan(0, ByteLength);

        public int ByteLength { get; private init; }

        public Span<T> As<T>()
            where T : unmanaged
        {
            if (!TensorDataTypes.Matches<T>(Type))
            {
                throw new InputShapeException(
                    $"Tensor '{Spec.Name}' holds {Spec.Dtype} values; it was accessed as {typeof(T).Name}.",
                    Spec.Name, Spec.ElementCount(), -1);
            }

            return MemoryMarshal.Cast<byte, T>(Bytes);
        }

        private static long[] Resolve(TensorSpec spec, IReadOnlyDictionary<string, long[]>? shapes)
        {
            if (shapes is not null && shapes.TryGetValue(spec.Name, out var given))
            {
                var fits = given.Length == spec.Shape.Length;
                for (var i = 0; fits && i < given.Length; i++)
                {
                    fits = given[i] > 0 && (spec.Shape[i] < 0 || spec.Shape[i] == given[i]);
                }

                if (!fits)
                {
                    throw new InputShapeException(
                        $"Shape {ShapeText.Format(given)} given for '{spec.Name}' does not fit its declared shape {ShapeText.Format(spec.Shape)} (-1 = open).",
                        spec.Name, spec.ElementCount(), given.Aggregate(1L, (a, b) => a * b));
                }

                return (long[])given.Clone();
            }

            return spec.Shape.Select(d => d < 0 ? 1 : d).ToArray();
        }
    }
}
