# `make bench`: the client library and its C, Python and Node front ends against the clients
# their users would otherwise write by hand, measured in one run on release builds; writes
# bench/RESULTS.md. See bench/run.sh and bench/src/driver.rs.
.PHONY: bench bench-profile

bench: c-tools
	bench/run.sh

# `make bench-profile`: the top symbols of the pipelined run (the library and the bare client),
# sampled by perf, in bench/PROFILE.md. See bench/profile.sh.
bench-profile:
	bench/profile.sh
