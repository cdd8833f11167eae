# tests/mk/vm.mk - multi-VM tests under QEMU (tests/vagrant/) and the
# Vagrantfile check. The VM artefacts (Debian kernel as a PVH vmlinux, the
# test initramfs, test keys) are cached in VM_CACHE, shared by every build
# flavour (build/ and build-san/), and rebuilt only when an input changes.
VM_CACHE ?= build/vm

# The runner's own test: 2 VMs, a VXLAN between a netns on each over SSH,
# ping across, tear down, both guests equal their boot snapshot.
check-vm-smoke:
	@$(call run_suite,check-vm-smoke,1200) tests/vagrant/smoke-test --vms 2 --cache $(VM_CACHE)
CHECK_TARGETS += check-vm-smoke

# The executor's shared cgroup state on a pure cgroup v2 guest: two
# instances with limits, destroyed in both orders; the controllers enabled
# in cgroup.subtree_control and the shared parent go with the last one.
# About 1.5 minutes under TCG.
check-cgroup-vm: $(OTDEPLOY) $(OTC)
	@VM_CACHE=$(VM_CACHE) $(call run_suite,check-cgroup-vm,900) tests/vagrant/cgroup-test $(BUILD)
CHECK_TARGETS += check-cgroup-vm

# The Vagrantfile for users: `vagrant validate` (offline, libvirt provider)
# and a structural check of what it defines; never `vagrant up`.
check-vagrantfile:
	@$(call run_suite,check-vagrantfile,600) tests/vagrant/check-vagrantfile
CHECK_TARGETS += check-vagrantfile

# Only the artefacts (e.g. to warm the cache).
vm-artefacts:
	tests/vagrant/build-artefacts $(VM_CACHE)
.PHONY: vm-artefacts
