# `make bench`: the client library and its C, Python and Node front ends against the clients
# their users would otherwise write by hand, measured in one run on release builds; writes
# bench/RESULTS.md. See bench/run.sh and bench/src/driver.rs.
.PHONY: bench

bench: c-tools
	bench/run.sh
