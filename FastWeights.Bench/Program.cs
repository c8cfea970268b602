using FastWeights.Bench.Commands;

return BenchProcess.Run(args);
