"""I/O clients: everything that talks to the network or archives, outside the flows."""
