# src/mnl: a libmnl-compatible module from the documented API, linked only
# into the static otnode (Debian ships no libmnl.a). Dynamic programs link
# the real libmnl; tests/unit/test_mnl_compat.c compares the two.
MNL_SRCS := src/mnl/mnl.c
