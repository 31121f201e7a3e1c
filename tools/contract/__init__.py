"""Contract testing with schemathesis: in-process in `make test`, `st run` for `make contract`."""
