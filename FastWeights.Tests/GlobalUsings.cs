// What nearly every test file uses: the test framework, ILGPU's accelerator types, the shared test support, and the
// kernels' core types (schedules, devices, options bases), which FastWeights.Kernels itself uses project-wide too.
global using FastWeights.Kernels.Core;
global using FastWeights.Tests.Support;
global using ILGPU;
global using ILGPU.Runtime;
global using NUnit.Framework;
