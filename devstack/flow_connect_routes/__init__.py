"""The Flow Connect simulator's REST routes, one module per resource (see devstack.flow_connect_simulator)."""
