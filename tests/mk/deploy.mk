# tests/mk/deploy.mk - otdeploy: unit tests (no network) and the deploy
# suites against the simulated cluster (real sshd per host) and the VMs.
UNIT_TESTS += tests/unit/test_deploy_remote.c
