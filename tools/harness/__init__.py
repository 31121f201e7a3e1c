"""What tests, the soak, the benchmark and the provider check share to drive a stub from outside:
the stub as a process (`stub_process`), seeds of many servers (`seeds`), raw HTTP over a socket
(`rawhttp`), concurrent create clients (`loadgen`) and the restores a store holds (`stored`)."""
