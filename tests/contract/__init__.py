"""Contract tests: schemathesis against the stub and against deliberately broken providers."""
