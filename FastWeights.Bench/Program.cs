using FastWeights.Bench.Commands;

return BenchCli.Invoke(args);
