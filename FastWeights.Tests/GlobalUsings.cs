// What nearly every test file uses: the test framework, ILGPU's accelerator types and the shared test support.
global using FastWeights.Tests.Support;
global using ILGPU;
global using ILGPU.Runtime;
global using NUnit.Framework;
