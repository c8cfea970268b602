// Entry point placeholder; commands are added in FastWeights.Bench/Commands.
return 0;
