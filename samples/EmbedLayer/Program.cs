// Embedding the fast-weight RNN layer in your own ILGPU app: your accelerator, your buffers, your stream.
// Runs on CUDA when ILGPU sees an NVIDIA GPU, else on ILGPU's CPU accelerator.
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Runtime;

const int B = 4, T = 10, I = 8, H = 16;   // batch, time steps, input size, hidden size

using var device = ComputeDevice.Open(AcceleratorKind.Auto);   // CUDA if present, else CPU
Accelerator acc = device.Accelerator;
AcceleratorStream stream = acc.DefaultStream;
Console.WriteLine($"accelerator: {device.Describe()}");

var options = new FastWeightRnnOptions
{
    InputSize = I, HiddenSize = H, InnerSteps = 1, Decay = 0.95, FastLearningRate = 0.5,
};
using var layer = new FastWeightRnnLayer(acc, options);
using var workspace = layer.CreateWorkspace(maxBatch: B, maxTime: T);
Console.WriteLine($"workspace: {layer.WorkspaceBytes(B, T)} bytes");

// Host data: small fixed values so the run is reproducible. Shapes are row-major float32.
var random = new Random(1);
float[] Values(long n, float scale) => Enumerable.Range(0, (int)n).Select(_ => scale * (2 * random.NextSingle() - 1)).ToArray();
float[] Constant(long n, float value) => Enumerable.Repeat(value, (int)n).ToArray();

// Parameters: W [H,H], C [H,I], b [H], layer-norm gain g [H] (1) and shift β [H] (0).
using var w = acc.Allocate1D(Values(H * H, 0.1f));
using var c = acc.Allocate1D(Values(H * I, 0.3f));
using var b = acc.Allocate1D(Constant(H, 0f));
using var gain = acc.Allocate1D(Constant(H, 1f));
using var shift = acc.Allocate1D(Constant(H, 0f));
var p = new FastWeightRnnParameters(w.View, c.View, b.View, gain.View, shift.View);

// Inputs x [B,T,I]; the initial state h0 [B,H] and A0 [B,H,H] may be left out (default views mean zeros).
using var x = acc.Allocate1D(Values(B * T * I, 1f));
// Outputs y [B,T,H], final state hT [B,H] and AT [B,H,H]: feed them back as h0/A0 to continue the sequence.
using var y = acc.Allocate1D<float>(B * T * H);
using var hT = acc.Allocate1D<float>(B * H);
using var aT = acc.Allocate1D<float>(B * H * H);

layer.Forward(stream, workspace, y.View, hT.View, aT.View, x.View, default, default, p, B, T);

// Backward for the loss L = Σ y: dL/dy = 1 everywhere, nothing flowing in through hT or AT (default views).
using var dy = acc.Allocate1D(Constant(B * T * H, 1f));
using var dx = acc.Allocate1D<float>(B * T * I);
using var dW = acc.Allocate1D<float>(H * H);
using var dC = acc.Allocate1D<float>(H * I);
using var db = acc.Allocate1D<float>(H);
using var dGain = acc.Allocate1D<float>(H);
using var dShift = acc.Allocate1D<float>(H);
var grads = new FastWeightRnnParameterGradients(dW.View, dC.View, db.View, dGain.View, dShift.View);

// Gradients are overwritten (not accumulated); dh0 and dA0 are not wanted here (default views).
layer.Backward(stream, workspace, dx.View, default, default, grads,
    dy.View, default, default, x.View, p, B, T);

// Kernels run asynchronously on the stream: wait for them before reading results on the host.
stream.Synchronize();
float[] yHost = y.GetAsArray1D();
float[] dWHost = dW.GetAsArray1D();
float[] dxHost = dx.GetAsArray1D();
Console.WriteLine($"y[0,{T - 1},0..3] = {string.Join(", ", yHost.Skip((T - 1) * H).Take(4).Select(v => v.ToString("F5")))}");
Console.WriteLine($"|dW| = {Math.Sqrt(dWHost.Sum(v => (double)v * v)):F5}, |dx| = {Math.Sqrt(dxHost.Sum(v => (double)v * v)):F5}");
