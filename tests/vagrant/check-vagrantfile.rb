# tests/vagrant/check-vagrantfile.rb - the structural half of
# check-vagrantfile: loads the Vagrantfile with a stand-in for Vagrant's
# configuration API that records every setting and call, then checks the
# layout the README promises (what `vagrant validate` cannot see): N
# machines vm1..vmN, an isolated private network with the underlay
# addresses, the libvirt provider, every VM's host key and the client key
# in its provisioning script, and on the last VM the hosts file, a
# known_hosts naming every VM's real host key, the repository and the test.
# Writes each generated provisioning script to OUTDIR for `sh -n`.
#
# Usage: ruby check-vagrantfile.rb VAGRANTFILE OUTDIR
# (env: OTV_VMS, OTV_KEYS_DIR - a scratch directory: keys are made there)

# Records `x = v` as sets["x"], a bare `x` as a child recorder, and any
# other call (with its arguments and a recorder for its block) in calls.
class Rec
  attr_reader :sets, :calls, :kids

  def initialize
    @sets = {}
    @calls = []
    @kids = Hash.new { |h, k| h[k] = Rec.new }
  end

  def method_missing(m, *args, **kw, &blk)
    name = m.to_s
    return @sets[name.chomp("=")] = args[0] if name.end_with?("=")
    return @kids[name] if args.empty? && kw.empty? && blk.nil?
    sub = nil
    if blk
      sub = Rec.new
      blk.call(sub)
    end
    @calls << [name, args, kw, sub]
    nil
  end

  def respond_to_missing?(*) = true

  def find(name) = @calls.select { |c| c[0] == name }
end

module Vagrant
  def self.configure(version, &blk)
    raise "configure(#{version.inspect}): expected \"2\"" unless version == "2"
    $root = Rec.new
    blk.call($root)
  end
end

$failures = []
def check(cond, msg) = ($failures << msg unless cond)

vagrantfile, outdir = ARGV
abort "usage: check-vagrantfile.rb VAGRANTFILE OUTDIR" unless outdir
keys = ENV.fetch("OTV_KEYS_DIR")
# Load as `vagrant up` would (that makes the keys, into the scratch dir).
ARGV.replace(["up"])
load vagrantfile

vms = Integer(ENV.fetch("OTV_VMS", "3"))
subnet = "192.168.100"
names = (1..vms).map { |i| "vm#{i}" }
vm = $root.kids["vm"]
check(!vm.sets["box"].to_s.empty?, "no box")
sf = vm.find("synced_folder")
check(sf.any? { |c| c[1] == [".", "/vagrant"] && c[2][:disabled] }, "the default /vagrant share is not disabled")
prov = vm.find("provider").select { |c| c[1] == [:libvirt] }
check(prov.size == 1 && prov[0][3].sets["driver"] == "kvm", "no libvirt provider block with driver kvm")

defs = vm.find("define")
check(defs.map { |c| c[1][0] } == names, "machines #{defs.map { |c| c[1][0] }.inspect}, expected #{names.inspect}")
pub = ->(f) { File.read(File.join(keys, f)).strip }
client_pub = pub.call("client.pub")
defs.each_with_index do |d, idx|
  name = d[1][0]
  node = d[3].kids["vm"]
  ip = "#{subnet}.#{11 + idx}"
  check(node.sets["hostname"] == name, "#{name}: hostname #{node.sets["hostname"].inspect}")
  nets = node.find("network")
  check(nets.size == 1, "#{name}: #{nets.size} networks, expected 1 private network")
  if (n = nets[0])
    check(n[1] == [:private_network], "#{name}: network #{n[1].inspect}")
    check(n[2][:ip] == ip, "#{name}: address #{n[2][:ip]}, expected #{ip}")
    check(n[2][:libvirt__forward_mode] == "none" && n[2][:libvirt__dhcp_enabled] == false,
          "#{name}: the cluster network is not isolated (forward mode none, no DHCP)")
  end
  provs = node.find("provision").to_h { |c| [c[1][0], c[2]] }
  want = name == names.last ? %w[otv-node otv-controller deploy-test] : %w[otv-node]
  check(provs.keys == want, "#{name}: provisioners #{provs.keys.inspect}, expected #{want.inspect}")
  provs.each do |pname, o|
    check(o[:type] == "shell" && o[:inline].start_with?("#!/bin/sh\n"), "#{name}/#{pname}: not an inline sh script")
    check(o[:inline] !~ /@[A-Z_]+@/, "#{name}/#{pname}: unfilled #{o[:inline][/@[A-Z_]+@/]}")
    check(!o.key?(:env), "#{name}/#{pname}: passes env (lands on a command line)")
    File.write(File.join(outdir, "#{name}-#{pname}.sh"), o[:inline])
  end
  node_sh = provs["otv-node"] ? provs["otv-node"][:inline] : ""
  check(node_sh.include?(File.read(File.join(keys, name)).strip), "#{name}: its host key is not installed")
  check(node_sh.include?(pub.call("#{name}.pub")), "#{name}: its public host key is not installed")
  check(node_sh.include?(client_pub), "#{name}: the client key is not authorized")
  next unless name == names.last

  check(node.find("synced_folder").any? { |c| c[1][1] == "/opentop" && c[2][:type] == "rsync" &&
                                           c[2][:rsync__exclude].to_a.include?(".git/") },
        "#{name}: the repository is not rsynced to /opentop (without .git)")
  ctl = provs["otv-controller"] ? provs["otv-controller"][:inline] : ""
  hosts = ctl[/hosts.txt <<'OTV_EOF'\n(.*?)\nOTV_EOF/m, 1].to_s.lines.map(&:chomp)
  known = ctl[/known_hosts <<'OTV_EOF'\n(.*?)\nOTV_EOF/m, 1].to_s.lines.map(&:chomp)
  check(hosts.size == vms, "hosts file has #{hosts.size} lines, expected #{vms}")
  hosts.each_with_index do |l, j|
    a = "#{subnet}.#{11 + j}"
    check(l =~ %r{\An#{j + 1} root@#{Regexp.escape(a)} #{Regexp.escape(a)} identity=/root/\.ssh/otv_ed25519 dir=/var/lib/opentop\z},
          "hosts line #{j + 1}: #{l.inspect}")
    check(known[j] == "#{a} #{pub.call("vm#{j + 1}.pub").split[0, 2].join(" ")}",
          "known_hosts line #{j + 1} is not vm#{j + 1}'s host key: #{known[j].inspect}")
  end
  check(ctl.include?(File.read(File.join(keys, "client")).strip), "the controller lacks the client key")
  check(provs["deploy-test"] && provs["deploy-test"][:run] == "once", "deploy-test does not run once on up")
  check(provs["deploy-test"] && provs["deploy-test"][:inline].include?("tests/vagrant/deploy-test --hosts /root/otv/hosts.txt"),
        "deploy-test does not run tests/vagrant/deploy-test")
end

if $failures.empty?
  puts "check-vagrantfile: #{vms} VMs: structure ok"
else
  $failures.each { |f| warn "check-vagrantfile: #{vms} VMs: #{f}" }
  exit 1
end
