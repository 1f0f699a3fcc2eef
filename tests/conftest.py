"""The test suite's shared fixtures: the real-API oracles on loopback (moto's EC2 server,
a live Neutron) that the conformance, live and engine tests use, registered here once
from their plugin module, `tests.conformance.fixtures`."""

pytest_plugins = ["tests.conformance.fixtures"]
